// Syntax colouring for .vscript (docs/language.md "Lexical"), one line at a time, with the
// diagnostics' ranges underlined. Output is escaped HTML for the editor's overlay.
import type { Diag } from './types';

const KEYWORDS = new Set(
  ('import video scene shot model with then text voice music style look palette avoid budget ' +
    'seed size fps length quality preset camera animate zoom pan from at to in mute keep audio ' +
    'final draft color image file fade duck volume tempo meter offset section cut on beats bars ' +
    'rest until use template as font box loop trim kind class tier durations sizes aspects ' +
    'price per priced inputs param fallback required default enum min max generate provider ' +
    'format formats for focus reframe caption captions').split(' '),
);

type Cls = '' | 'c' | 's' | 'n' | 'k' | 'u' | 'h' | 'p';

const re = {
  ws: /^\s+/,
  str: /^"(?:[^"\\]|\\.)*"?/,
  money: /^\$\d+(?:\.\d+)?/,
  color: /^#[0-9a-fA-F]{3,8}\b/,
  num: /^-?\d+(?:\.\d+)?(?:ms|min|s|dB|%|x\d+|:\d+)?(?![\w.])/,
  name: /^[A-Za-z_][\w]*(?:[-.][\w]+)*/,
  arrow: /^->/,
};

function classify(line: string, inBlock: boolean): { cls: Cls[]; inBlock: boolean } {
  const cls: Cls[] = new Array(line.length).fill('');
  let i = 0;
  const paint = (n: number, c: Cls) => {
    for (let k = 0; k < n && i + k < line.length; k++) cls[i + k] = c;
    i += n;
  };
  while (i < line.length) {
    if (inBlock) {
      const end = line.indexOf('*/', i);
      if (end < 0) {
        paint(line.length - i, 'c');
        break;
      }
      paint(end + 2 - i, 'c');
      inBlock = false;
      continue;
    }
    const rest = line.slice(i);
    let m: RegExpMatchArray | null;
    if (rest.startsWith('//')) paint(rest.length, 'c');
    else if (rest.startsWith('/*')) {
      inBlock = true;
      paint(2, 'c');
    } else if ((m = rest.match(re.ws))) paint(m[0].length, '');
    else if ((m = rest.match(re.str))) paint(m[0].length, 's');
    else if ((m = rest.match(re.money))) paint(m[0].length, 'u');
    else if ((m = rest.match(re.color))) paint(m[0].length, 'h');
    else if ((m = rest.match(re.num))) paint(m[0].length, 'n');
    else if ((m = rest.match(re.arrow))) paint(2, 'p');
    else if ((m = rest.match(re.name))) paint(m[0].length, KEYWORDS.has(m[0]) ? 'k' : '');
    else paint(1, /[{}()]/.test(rest[0]) ? 'p' : '');
  }
  return { cls, inBlock };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

// Columns in diagnostics are 1-based bytes; for ASCII lines bytes and characters agree,
// and for others the byte offset is mapped back to a character index.
function byteToChar(line: string, col: number): number {
  let bytes = 0;
  for (let i = 0; i < line.length; i++) {
    if (bytes >= col - 1) return i;
    const c = line.codePointAt(i)!;
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (c >= 0x10000) i++;
  }
  return line.length;
}

export function highlight(text: string, diags: Diag[]): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let inBlock = false;
  const byLine = new Map<number, Diag[]>();
  for (const d of diags) {
    const last = Math.max(d.line, d.end_line || d.line);
    for (let l = d.line; l <= last && l <= lines.length; l++) {
      if (!byLine.has(l)) byLine.set(l, []);
      byLine.get(l)!.push(d);
    }
  }
  lines.forEach((line, idx) => {
    const ln = idx + 1;
    const r = classify(line, inBlock);
    inBlock = r.inBlock;
    const mark: ('' | 'e' | 'w')[] = new Array(line.length).fill('');
    for (const d of byLine.get(ln) ?? []) {
      const from = d.line === ln ? byteToChar(line, d.column) : 0;
      let to = (d.end_line || d.line) === ln ? byteToChar(line, d.end_column || d.column + 1) : line.length;
      if (to <= from) to = Math.min(line.length, from + 1);
      const m = d.severity === 'error' ? 'e' : 'w';
      for (let k = from; k < to; k++) if (mark[k] !== 'e') mark[k] = m;
    }
    let html = '';
    let i = 0;
    while (i < line.length) {
      let j = i + 1;
      while (j < line.length && r.cls[j] === r.cls[i] && mark[j] === mark[i]) j++;
      const classes = [r.cls[i] ? `t${r.cls[i]}` : '', mark[i] ? `sq${mark[i]}` : ''].filter(Boolean).join(' ');
      const chunk = esc(line.slice(i, j));
      html += classes ? `<span class="${classes}">${chunk}</span>` : chunk;
      i = j;
    }
    // A diagnostic at the end of a line (a missing '}') still shows: a marked space.
    const atEnd = (byLine.get(ln) ?? []).some((d) => d.line === ln && byteToChar(line, d.column) >= line.length);
    if (atEnd) html += '<span class="sqe"> </span>';
    out.push(html);
  });
  return out.join('\n') + '\n';
}
