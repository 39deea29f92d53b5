import type { P2pViewBody } from '../../shared/protocol/p2p';

/**
 * `--p2p`: who relays for whom in the latest step's reduction tree, the
 * gradient bytes that reached the coordinator per step, and the weights
 * bytes that left it (the roots get the weights; relays pass them on). The coordinator
 * hears only from the roots; a relay adds its children's sums to its own.
 * The card adds itself to the page (after the timeline) the first time a
 * run with trees is shown, and stays hidden otherwise.
 */
export class TreeView {
  private card: HTMLElement | null = null;

  constructor(private readonly after: HTMLElement) {}

  update(v: P2pViewBody | undefined, names: ReadonlyMap<string, string>): void {
    if (!v?.enabled) {
      if (this.card) this.card.hidden = true;
      return;
    }
    const card = (this.card ??= this.create());
    card.hidden = false;
    const name = (peer: string): string => (names.get(peer) ? `${names.get(peer)} (${peer})` : peer);
    const node = (peer: string): HTMLLIElement => {
      const li = el('li', 'p2p-node');
      li.dataset.peer = peer;
      const kids = v.relays[peer] ?? [];
      li.append(el('span', kids.length ? 'p2p-relay' : 'p2p-leaf', `${name(peer)}${kids.length ? ` relays ${kids.length}` : ''}`));
      if (kids.length) {
        const ul = el('ul');
        for (const k of kids) ul.append(node(k));
        li.append(ul);
      }
      return li;
    };
    const tree = card.querySelector('.p2p-tree')!;
    tree.replaceChildren();
    const top = el('li', 'p2p-node');
    top.append(el('span', 'p2p-coord', `coordinator: ${v.roots.length} sum${v.roots.length === 1 ? '' : 's'} per step`));
    const roots = el('ul');
    for (const r of v.roots) roots.append(node(r));
    for (const s of v.star) {
      const li = el('li', 'p2p-node');
      li.append(el('span', 'p2p-star', `${name(s)}: on the star`));
      roots.append(li);
    }
    top.append(roots);
    tree.append(top);
    const noRtc = v.tabs.filter((t) => t.id === null);
    card.querySelector('.p2p-caption')!.textContent =
      v.step < 0
        ? 'No tree yet: tabs join the tree once their data channels work.'
        : `Step ${v.step}: fan-in ${v.fanIn}, depth ${v.depth}; relayed sums accepted ${v.relayed.accepted}, dropped ${v.relayed.dropped}` +
          `; digest checks passed ${v.digests.passed}, failed ${v.digests.failed}` +
          `; weights passed down the tree ${v.weights.viaTree}, fetched from the coordinator instead ${v.weights.fallbacks}` +
          (v.rejections.length ? `; rejected: ${v.rejections.map((r) => `step ${r.step} from ${name(r.from)} (${r.reason}; quarantined: ${r.relays.map(name).join(', ')})`).join('; ')}` : '') +
          (noRtc.length ? `; without WebRTC: ${noRtc.map((t) => name(t.peer)).join(', ')}` : '') +
          (v.broken.length ? `; links that did not open: ${v.broken.join(', ')}` : '');
    const rows = v.recent.slice(-8).map((r) => `<tr><td>${r.step}</td><td>${(r.bytes / 1024).toFixed(1)} KiB</td><td>${r.frames}</td><td>${(r.weightsOut / 1024).toFixed(1)} KiB</td><td>${r.tree} / ${r.star}</td></tr>`);
    card.querySelector('tbody')!.innerHTML = rows.join('');
    card.dataset.roots = String(v.roots.length);
    card.dataset.relays = String(Object.keys(v.relays).length);
    card.dataset.digestsFailed = String(v.digests.failed);
  }

  private create(): HTMLElement {
    const card = el('section', 'card');
    card.id = 'p2p-card';
    card.style.gridColumn = '1 / -1';
    card.innerHTML =
      '<h2>Peer-to-peer tree</h2><p class="p2p-caption muted"></p><div style="display:flex;gap:2rem;flex-wrap:wrap"><ul class="p2p-tree"></ul>' +
      '<table class="p2p-bytes"><thead><tr><th>step</th><th>gradient bytes in</th><th>sums in</th><th>weights bytes out</th><th>tabs tree / star</th></tr></thead><tbody></tbody></table></div>' +
      '<style>#p2p-card ul{list-style:none;margin:.2rem 0 .2rem 1.1rem;padding:0;border-left:2px solid #cbd5e1}#p2p-card .p2p-tree{margin-left:0;border:0}' +
      '#p2p-card li{margin:.25rem 0;padding-left:.6rem}#p2p-card span{display:inline-block;padding:.1rem .45rem;border-radius:.4rem;font-size:.9rem}' +
      '.p2p-coord{background:#1e293b;color:#fff}.p2p-relay{background:#dbeafe;color:#1e3a8a}.p2p-leaf{background:#f1f5f9}.p2p-star{background:#fef3c7;color:#92400e}' +
      '#p2p-card table{border-collapse:collapse;font-size:.9rem}#p2p-card td,#p2p-card th{padding:.15rem .6rem;text-align:right}</style>';
    this.after.after(card);
    return card;
  }
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls = '', text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text) e.textContent = text;
  return e;
}
