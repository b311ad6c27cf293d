// The session: which script is open, its text, the compiler's verdict on that text and
// the plan it makes. The file on disk is the truth: a change made elsewhere is loaded when
// the editor has nothing unsaved, and offered otherwise.
import { api, ApiError } from './api';
import type { CheckResult, Diag, Plan } from './types';

export interface FileEntry {
  path: string;
  kind: string;
  size: number;
  mtime: number;
}

export const session = $state({
  project: '',
  dir: '',
  replicateToken: false,
  llm: false, // a chat model is configured for the prompt box
  files: [] as FileEntry[],
  provider: 'local' as 'local' | 'replicate',
  preview: true,
  error: '',
  toast: '',
});

export const doc = $state({
  path: '',
  text: '',
  savedText: '',
  mtime: 0,
  diags: [] as Diag[],
  errors: 0,
  warnings: 0,
  plan: null as Plan | null,
  savedPlan: null as Plan | null, // the plan of the text on disk: the diff's base
  checking: false,
  saving: false,
  conflict: false, // changed on disk while there are unsaved edits
  selectedScene: '' as string,
  // A scene regenerated with a new seed, until its take is kept or discarded.
  take: null as { scene: string; line: number; old: string | null } | null,
  reveal: 0 as number, // a line for the editor to scroll to (bumped by clicks elsewhere)
  revealSeq: 0,
});

export const dirty = () => doc.text !== doc.savedText;

let toastTimer: ReturnType<typeof setTimeout> | undefined;
export function toast(msg: string) {
  session.toast = msg;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (session.toast = ''), 4000);
}

export function reveal(line: number) {
  doc.reveal = line;
  doc.revealSeq++;
}

export async function loadSession() {
  const s = await api('GET', '/api/session');
  session.project = s.project;
  session.dir = s.dir;
  session.replicateToken = s.replicate_token;
  session.llm = !!s.llm;
  session.provider = s.provider === 'replicate' ? 'replicate' : 'local';
  await loadFiles();
  const first = s.open ?? session.files.find((f) => f.kind === 'script')?.path;
  const fromHash = decodeURIComponent(location.hash.replace(/^#/, ''));
  const want = session.files.some((f) => f.path === fromHash) ? fromHash : first;
  if (want) await openFile(want);
}

export async function loadFiles() {
  const r = await api('GET', '/api/files');
  session.files = r.files;
}

let openSeq = 0;
export async function openFile(path: string) {
  const seq = ++openSeq;
  const r = await api('GET', `/api/file?path=${encodeURIComponent(path)}`);
  if (seq !== openSeq) return; // another file was opened meanwhile
  doc.path = r.path;
  doc.text = r.text;
  doc.savedText = r.text;
  doc.mtime = r.mtime;
  doc.conflict = false;
  doc.selectedScene = '';
  doc.take = null;
  doc.plan = null;
  doc.savedPlan = null;
  history.replaceState(null, '', `#${encodeURIComponent(r.path)}`);
  await check(true);
}

// ---- checking as you type --------------------------------------------------------------
let checkTimer: ReturnType<typeof setTimeout> | undefined;
let checkSeq = 0;

export function scheduleCheck() {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(() => check(false), 250);
}

export async function check(asSaved: boolean) {
  if (!doc.path) return;
  const seq = ++checkSeq;
  const text = doc.text;
  const path = doc.path;
  doc.checking = true;
  try {
    const r: CheckResult = await api('POST', '/api/check', {
      path: doc.path,
      text,
      provider: session.provider,
      preview: session.preview,
    });
    if (seq !== checkSeq || path !== doc.path) return; // a newer check is on its way
    doc.diags = r.diagnostics.filter((d) => !d.file || d.file === doc.path);
    doc.errors = r.errors;
    doc.warnings = r.warnings;
    if (r.plan) doc.plan = r.plan;
    if (asSaved || text === doc.savedText) doc.savedPlan = r.plan ?? doc.savedPlan;
  } catch (e) {
    session.error = (e as Error).message;
  } finally {
    if (seq === checkSeq) doc.checking = false;
  }
}

// ---- saving (formatted) ----------------------------------------------------------------
export async function save(force = false) {
  if (!doc.path) return;
  doc.saving = true;
  const path = doc.path;
  try {
    const r = await api('PUT', '/api/file', {
      path: doc.path,
      text: doc.text,
      base_mtime: doc.mtime,
      format: true,
      force,
    });
    if (doc.path !== path) return; // another file was opened while saving
    const changed = r.text !== doc.text;
    doc.text = r.text;
    doc.savedText = r.text;
    doc.mtime = r.mtime;
    doc.conflict = false;
    toast(r.formatted ? (changed ? 'Saved (formatted)' : 'Saved') : 'Saved as typed: it does not parse yet');
    await check(true);
    loadFiles();
  } catch (e) {
    if (e instanceof ApiError && e.status === 409) doc.conflict = true;
    session.error = (e as Error).message;
  } finally {
    doc.saving = false;
  }
}

// ---- the disk is the truth -------------------------------------------------------------
export async function pollDisk() {
  const path = doc.path;
  const opened = openSeq;
  // A page nobody looks at does not poll: it checks once it is shown again.
  if (!path || doc.saving || document.hidden) return;
  try {
    // Only a file changed since the page read it comes back with its text.
    const r = await api('GET', `/api/file?path=${encodeURIComponent(path)}&since=${doc.mtime}`);
    // The answer is about `path` as it was: never apply it to another file.
    if (doc.path !== path || openSeq !== opened || doc.saving || r.unchanged) return;
    if (r.mtime <= doc.mtime || r.text === doc.savedText) {
      doc.mtime = Math.max(doc.mtime, r.mtime);
      return;
    }
    if (!dirty()) {
      doc.text = r.text;
      doc.savedText = r.text;
      doc.mtime = r.mtime;
      toast(`${doc.path} changed on disk: reloaded`);
      await check(true);
    } else {
      doc.conflict = true;
    }
  } catch {
    /* the file may be mid-rename: try again on the next tick */
  }
}

export async function reloadFromDisk() {
  await openFile(doc.path);
}
