// The build: one row per plan node, moved along by the runtime's progress events (Server-
// Sent Events from /api/build/events), the scene previews as their clips appear, and the
// money spent in this session.
import { api, objectUrl, posterUrl } from './api';
import type { Plan, Row, RowStatus } from './types';

export interface Preview {
  url: string; // the clip (or picture) itself: loaded only when someone asks to play it
  poster: string; // its still: what the page shows, so a build is never slowed by decoding
  image: boolean;
  op: string;
}

export interface Queued {
  id: number;
  script: string;
  provider: string;
  preview: boolean;
}

export const build = $state({
  id: 0,
  running: false,
  script: '',
  output: '',
  status: '' as string, // completed | partial | failed | stopped | budget
  plan: null as Plan | null,
  rows: [] as Row[],
  previews: {} as Record<string, Preview>, // scene -> its best clip so far
  log: [] as string[],
  elapsed: 0, // seconds since the build started (from the runtime's events)
  startedAt: 0, // performance.now() at the plan event
  sessionCost: 0, // dollars settled in builds started from this page
  manifest: null as any,
  connected: false,
  clickedAt: 0, // performance.now() when Build was pressed (the bench reads it)
  firstPreviewAt: 0, // when the first scene preview was on screen
  outputVersion: 0,
  runSeconds: 0, // the runtime's own wall time for the run (its end events, summed)
  queue: [] as Queued[], // builds waiting for this one (the server's "queue" events)
  builds: 0, // builds that ran in this session (seen from this page)
});

const rowsById = new Map<string, Row>();

function resetFrom(ev: any) {
  const plan: Plan = ev.plan;
  build.id = ev.build;
  build.plan = plan;
  build.script = ev.script;
  build.output = ev.output;
  build.status = '';
  build.running = true;
  build.manifest = null;
  build.log = [];
  build.previews = {};
  build.elapsed = 0;
  build.startedAt = performance.now();
  build.firstPreviewAt = 0;
  build.runSeconds = 0;
  build.queue = []; // a "queue" event follows when builds still wait
  build.builds++;
  build.rows = plan.nodes.map((n) => ({
    id: n.id,
    op: n.op,
    scene: n.scene,
    between: n.between,
    model: n.model,
    key: n.key,
    kind: n.kind,
    estimate: n.estimate,
    // In the cache already: the run either reports it cached or never needs it.
    status: (n.cached ? 'cached' : 'queued') as RowStatus,
    note: '',
    prediction: '',
    startedAt: 0,
    seconds: 0,
    cost: 0,
  }));
  rowsById.clear();
  build.rows.forEach((r, i) => rowsById.set(r.id, build.rows[i]));
}

// A scene's preview, best first: its composed segment (text burned in), an animated still,
// then the generated clip or image itself.
const rank: Record<string, number> = { segment: 3, animate: 2, generate: 1 };

function offerPreview(row: Row) {
  if (!row.scene || !(row.op in rank)) return;
  if (row.op === 'generate' && row.kind !== 'video' && row.kind !== 'image') return;
  const have = build.previews[row.scene];
  if (have && rank[have.op] >= rank[row.op]) return;
  build.previews[row.scene] = {
    url: objectUrl(row.key, build.script),
    poster: posterUrl(row.key, build.script),
    image: row.op === 'generate' && row.kind === 'image',
    op: row.op,
  };
}

const stateMap: Record<string, RowStatus> = {
  running: 'processing',
  retry: 'processing',
  fallback: 'processing',
  reattach: 'processing',
  done: 'completed',
  cached: 'cached',
  degraded: 'degraded',
  failed: 'failed',
};

function handle(ev: any) {
  if (typeof ev.elapsed === 'number') build.elapsed = ev.elapsed;
  switch (ev.event) {
    case 'plan':
      resetFrom(ev);
      break;
    case 'node': {
      // A chunk of a long body ("part": "2/3", "of": the body's id) shows on its body's row:
      // the body is processing while any chunk runs; its own events say when it is done.
      if (ev.of) {
        const body = rowsById.get(ev.of);
        if (body && stateMap[ev.state] === 'processing' && body.status === 'queued') {
          body.status = 'processing';
          body.startedAt = ev.elapsed ?? 0;
          body.note = `part ${ev.part}`;
        }
        break;
      }
      const row = rowsById.get(ev.node);
      if (!row) break;
      const st = stateMap[ev.state] ?? row.status;
      if (st === 'processing' && row.status === 'queued') row.startedAt = ev.elapsed ?? 0;
      row.status = st;
      if (ev.model) row.model = ev.model;
      if (ev.prediction) row.prediction = ev.prediction;
      if (ev.msg) row.note = ev.msg;
      if (typeof ev.seconds === 'number') row.seconds = ev.seconds;
      if (typeof ev.cost === 'number') {
        row.cost = ev.cost;
        build.sessionCost += ev.cost;
      }
      if (st === 'completed' || st === 'cached' || st === 'degraded') offerPreview(row);
      break;
    }
    case 'prediction':
      break;
    case 'queue':
      build.queue = ev.queue ?? [];
      break;
    case 'end':
      // A script of several formats runs them one after the other, each with its own end.
      if (typeof ev.seconds === 'number') build.runSeconds += ev.seconds;
      break;
    case 'warning':
    case 'note':
      build.log.push(`${ev.event}: ${ev.msg}`);
      break;
    case 'log':
      build.log.push(ev.msg);
      break;
    case 'exit':
      build.running = false;
      build.status = ev.status;
      build.output = ev.output ?? '';
      build.manifest = ev.manifest ?? null;
      build.outputVersion++;
      // Rows the run never reached stay visible as such.
      for (const r of build.rows) {
        if (r.status === 'processing') r.status = ev.status === 'completed' ? 'completed' : 'failed';
        // Never needed (what it feeds was cached) or never reached (a stop, a failure).
        else if (r.status === 'queued') r.status = 'skipped';
      }
      onExit.forEach((f) => f(ev));
      break;
  }
}

const onExit: ((ev: any) => void)[] = [];
export function whenBuildEnds(f: (ev: any) => void) {
  onExit.push(f);
}

let source: EventSource | null = null;
export function connect() {
  if (source) return;
  source = new EventSource('/api/build/events');
  source.onopen = () => (build.connected = true);
  source.onerror = () => (build.connected = false);
  source.onmessage = (m) => {
    try {
      pending.push(JSON.parse(m.data));
    } catch {
      return; /* a malformed line is skipped */
    }
    schedule();
  };
}

// Events are applied in batches, at most every FLUSH_MS: a burst of node events (a dozen
// shots finishing together) becomes one update of the page instead of one each, so the
// browser stays out of the render's way. A lone event after a quiet spell shows at once.
const FLUSH_MS = 250;
const pending: any[] = [];
let lastFlush = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
function flush() {
  timer = undefined;
  lastFlush = performance.now();
  for (const ev of pending.splice(0)) handle(ev);
}
function schedule() {
  if (timer) return;
  const wait = lastFlush + FLUSH_MS - performance.now();
  if (wait <= 0) flush();
  else timer = setTimeout(flush, wait);
}

export async function startBuild(path: string, provider: string, preview: boolean) {
  build.clickedAt = performance.now();
  return api('POST', '/api/build', { path, provider, preview });
}

export async function stopBuild() {
  return api('POST', '/api/build/stop');
}

// Takes a waiting build out of the queue.
export async function unqueueBuild(id: number) {
  return api('POST', '/api/build/unqueue', { id });
}

export function previewShown() {
  if (!build.firstPreviewAt) build.firstPreviewAt = performance.now();
}

// The bench and the browser tests read these.
(window as any).__vscStudio = build;
