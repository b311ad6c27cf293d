// The shapes the server sends (studio/server/api_plan.c, build.c).

export interface Diag {
  file: string;
  line: number;
  column: number;
  end_line: number;
  end_column: number;
  severity: 'error' | 'warning' | 'note';
  message: string;
  hint?: string | null;
  source_line?: string;
}

export interface PlanNode {
  id: string;
  op: string;
  scene?: string;
  between?: [string, string]; // a transition segment: the scene it leaves, the scene it enters
  model?: string;
  key: string;
  estimate: number;
  cached: boolean;
  provider: string;
  line: number;
  kind?: string;
}

export interface PlanScene {
  name: string;
  start: number;
  duration: number;
  model: string | null;
  estimated_cost: number;
  transition?: string;
  transition_duration?: number;
  bar?: string;
  line: number;
  texts: { text: string; start: number; end: number }[];
  kind?: string;
  prompt?: string;
  seed?: number;
  cached: boolean;
}

export interface Plan {
  title: string;
  length: number;
  width: number;
  height: number;
  fps: number;
  budget: number | null;
  tempo: number | null;
  meter: number | null;
  quality: string;
  estimated_cost: number;
  to_spend: number;
  provider: string;
  scenes: PlanScene[];
  voices: { at: number; text: string }[];
  music: { key: string | null; op?: string; path?: string; start?: number } | null;
  nodes: PlanNode[];
}

export interface CheckResult {
  diagnostics: Diag[];
  errors: number;
  warnings: number;
  plan: Plan | null;
}

export interface ModelParam {
  type: 'string' | 'int' | 'number' | 'bool' | 'file';
  enum?: (string | number)[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
  required?: boolean;
}

export interface Model {
  name: string;
  ref: string;
  kind: string;
  class: string;
  tier: string;
  price: number;
  per: string;
  durations: number[];
  sizes: string[];
  aspects: string[];
  params: Record<string, ModelParam>;
  fallbacks: string[];
  estimate?: number;
}

export type RowStatus = 'queued' | 'processing' | 'completed' | 'failed' | 'degraded' | 'cached' | 'skipped';

export interface Row {
  id: string;
  op: string;
  scene?: string;
  between?: [string, string];
  model?: string;
  key: string;
  kind?: string;
  estimate: number;
  status: RowStatus;
  note: string;
  prediction: string;
  startedAt: number; // build-relative seconds when it started running
  seconds: number;   // its run time once finished
  cost: number;
}
