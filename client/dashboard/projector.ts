/**
 * The projector layout: large type and numbers, a QR code big enough to scan
 * from the back of the room, the technical panels folded. On by itself above
 * 1600 px wide; the header button switches it, and the choice is remembered.
 * The page reloads to switch, so the charts are built once at their size.
 */
const KEY = 'tabtrain-projector';
const AUTO_ABOVE_PX = 1600;

export function projectorMode(button: HTMLElement, technical: HTMLDetailsElement): boolean {
  const q = new URLSearchParams(location.search).get('projector');
  const saved = localStorage.getItem(KEY);
  const on = q !== null ? q !== '0' : saved !== null ? saved === '1' : innerWidth > AUTO_ABOVE_PX;
  document.body.classList.toggle('projector', on);
  button.textContent = on ? 'Laptop view' : 'Projector view';
  button.addEventListener('click', () => {
    localStorage.setItem(KEY, on ? '0' : '1');
    const u = new URL(location.href);
    u.searchParams.delete('projector');
    location.replace(u.toString());
  });
  // Technical panels folded on a projector, open on a laptop; a click still opens them.
  technical.open = !on;
  return on;
}
