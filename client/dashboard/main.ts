/**
 * The dashboard: polls the coordinator's status (admin token from the link)
 * and shows the run, the fleet and the latest curve points as text.
 */
interface PeerRow {
  id: string;
  nickname: string;
  kind: string;
  backend: string;
  status: string;
  speed: number;
  samples: number;
  steps: number;
}
interface Status {
  state: string;
  step: number;
  totalSteps: number;
  epoch: number;
  samplesPerSec: number;
  peers: PeerRow[];
  history: { step: number; loss: number }[];
  evals: { epoch: number; split: string; valLoss: number; valAccuracy: number | null }[];
  final: { testAccuracy: number | null };
}

const admin = new URLSearchParams(location.search).get('admin') ?? '';
const $ = (id: string): HTMLElement => document.getElementById(id)!;

async function poll(): Promise<void> {
  try {
    const res = await fetch(`/api/status?admin=${encodeURIComponent(admin)}`);
    if (!res.ok) {
      $('state').textContent = `refused: ${((await res.json()) as { message: string }).message}`;
      return;
    }
    render((await res.json()) as Status);
  } catch {
    $('state').textContent = 'coordinator unreachable, retrying';
  }
}

function render(s: Status): void {
  const last = s.history.at(-1);
  $('state').textContent = `${s.state}: step ${s.step}/${s.totalSteps}, epoch ${s.epoch + 1}, ${s.samplesPerSec.toFixed(0)} samples/s`;
  $('loss').textContent = last ? last.loss.toFixed(4) : '-';
  const v = s.evals.filter((e) => e.split === 'val').at(-1);
  $('val').textContent = v ? `${v.valLoss.toFixed(4)} (accuracy ${v.valAccuracy === null ? '-' : (100 * v.valAccuracy).toFixed(1) + '%'})` : '-';
  $('test').textContent = s.final.testAccuracy === null ? '-' : `${(100 * s.final.testAccuracy).toFixed(2)}%`;
  const rows = s.peers.map(
    (p) => `<tr><td>${esc(p.nickname)}</td><td>${p.kind}</td><td>${esc(p.backend)}</td><td>${p.status}</td><td>${p.speed.toFixed(0)}</td><td>${p.samples}</td><td>${p.steps}</td></tr>`,
  );
  $('peers').innerHTML = rows.join('');
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

void poll();
setInterval(() => void poll(), 1000);
