// The ledger of the open script's folder: what the journal says every build spent (paid
// calls, and free builds at $0), exactly as `vsc ledger --json` reports it.
import { api } from './api';

export const ledger = $state({
  path: '',
  data: null as any,
});

let seq = 0;
export async function refreshLedger(path: string) {
  const mine = ++seq;
  if (!path) {
    ledger.path = '';
    ledger.data = null;
    return;
  }
  try {
    const l = await api('GET', `/api/ledger?path=${encodeURIComponent(path)}`);
    if (mine === seq) {
      ledger.path = path;
      ledger.data = l;
    }
  } catch {
    if (mine === seq) ledger.data = null;
  }
}
