// Small, exact edits of script text: set or remove one statement (`model`, `with`, `seed`)
// inside a scene's block, found from the scene's line in the plan. Everything else in the
// text (comments, layout) is left as it is.

interface Block {
  open: number; // index of '{'
  close: number; // index of the matching '}'
}

// Skips a string or comment starting at i; returns the index after it, or i if none.
function skip(text: string, i: number): number {
  if (text[i] === '"') {
    let k = i + 1;
    while (k < text.length && text[k] !== '"' && text[k] !== '\n') k += text[k] === '\\' ? 2 : 1;
    return k + 1;
  }
  if (text.startsWith('//', i)) {
    const nl = text.indexOf('\n', i);
    return nl < 0 ? text.length : nl;
  }
  if (text.startsWith('/*', i)) {
    const end = text.indexOf('*/', i + 2);
    return end < 0 ? text.length : end + 2;
  }
  return i;
}

function matching(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; ) {
    const k = skip(text, i);
    if (k !== i) {
      i = k;
      continue;
    }
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
    i++;
  }
  return -1;
}

function lineStart(text: string, line: number): number {
  let idx = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', idx);
    if (nl < 0) return -1;
    idx = nl + 1;
  }
  return idx;
}

export function sceneBlock(text: string, sceneLine: number): Block | null {
  const start = lineStart(text, sceneLine);
  if (start < 0) return null;
  for (let i = start; i < text.length; ) {
    const k = skip(text, i);
    if (k !== i) {
      i = k;
      continue;
    }
    if (text[i] === '{') {
      const close = matching(text, i);
      return close < 0 ? null : { open: i, close };
    }
    i++;
  }
  return null;
}

// The statements directly inside a block: [start, end) spans and their first word.
function statements(text: string, b: Block): { word: string; start: number; end: number }[] {
  const out: { word: string; start: number; end: number }[] = [];
  let i = b.open + 1;
  while (i < b.close) {
    while (i < b.close && /\s/.test(text[i])) i++;
    if (i >= b.close) break;
    const k = skip(text, i);
    if (k !== i && text[i] === '/') {
      i = k;
      continue;
    }
    const word = /^[A-Za-z_][\w.-]*/.exec(text.slice(i, i + 40))?.[0] ?? '';
    const start = i;
    // A statement runs to the end of its line, or past its own { … } block.
    let depth = 0;
    while (i < b.close) {
      const s = skip(text, i);
      if (s !== i && text[i] === '"') {
        i = s;
        continue;
      }
      if (s !== i) break; // a comment ends the statement
      if (text[i] === '{') depth++;
      if (text[i] === '}') depth--;
      if (text[i] === '\n' && depth <= 0) break;
      i++;
    }
    out.push({ word, start, end: i });
    if (!word) i++;
  }
  return out;
}

// Sets (or, with stmt null, removes) the scene's `keyword …` statement.
export function setSceneStatement(text: string, sceneLine: number, keyword: string, stmt: string | null): string {
  const b = sceneBlock(text, sceneLine);
  if (!b) return text;
  const found = statements(text, b).find((s) => s.word === keyword);
  if (found) {
    if (stmt !== null) return text.slice(0, found.start) + stmt + text.slice(found.end);
    // Remove the whole line when the statement stood alone on it (with its own trailing
    // comment, which spoke of it).
    let a = found.start;
    while (a > 0 && (text[a - 1] === ' ' || text[a - 1] === '\t')) a--;
    let z = found.end;
    while (z < text.length && (text[z] === ' ' || text[z] === '\t')) z++;
    if (text.startsWith('//', z)) {
      const nl = text.indexOf('\n', z);
      z = nl < 0 ? text.length : nl;
    }
    if ((a === 0 || text[a - 1] === '\n') && text[z] === '\n') return text.slice(0, a) + text.slice(z + 1);
    return text.slice(0, found.start) + text.slice(found.end);
  }
  if (stmt === null) return text;
  // Insert before the closing brace, indented like the block's first statement.
  const first = statements(text, b)[0];
  const ls = text.lastIndexOf('\n', (first?.start ?? b.close) - 1) + 1;
  const indent = first ? text.slice(ls, first.start) : '  ';
  const closeLs = text.lastIndexOf('\n', b.close - 1) + 1;
  const closeIndent = text.slice(closeLs, b.close);
  if (/^\s*$/.test(closeIndent) && closeLs > b.open)
    return text.slice(0, closeLs) + indent + stmt + '\n' + text.slice(closeLs);
  const before = text.slice(0, b.close).replace(/\s+$/, '');
  return before + '\n' + indent + stmt + '\n' + text.slice(b.close);
}

// Reads the scene's current statement text (e.g. "model seedance_lite"), or null.
export function getSceneStatement(text: string, sceneLine: number, keyword: string): string | null {
  const b = sceneBlock(text, sceneLine);
  if (!b) return null;
  const found = statements(text, b).find((s) => s.word === keyword);
  return found ? text.slice(found.start, found.end) : null;
}

// `with { a: 1, b: "x" }` from values, in the order given.
export function withStatement(values: Record<string, unknown>): string | null {
  const parts = Object.entries(values)
    .filter(([, v]) => v !== undefined && v !== '' && v !== null)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
  return parts.length ? `with { ${parts.join(', ')} }` : null;
}

// The values of a `with { … }` statement (numbers, booleans, strings).
export function parseWith(stmt: string | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!stmt) return out;
  const body = stmt.slice(stmt.indexOf('{') + 1, stmt.lastIndexOf('}'));
  const re = /([A-Za-z_]\w*)\s*:\s*("(?:[^"\\]|\\.)*"|[^,}\s]+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) {
    const raw = m[2];
    out[m[1]] = raw.startsWith('"') ? JSON.parse(raw) : raw === 'true' ? true : raw === 'false' ? false : Number.isNaN(Number(raw)) ? raw : Number(raw);
  }
  return out;
}
