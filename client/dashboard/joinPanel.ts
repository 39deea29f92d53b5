import QRCode from 'qrcode';

/**
 * The join link as text and as a QR code (the `qrcode` library), large
 * enough to scan from the back of a classroom; a click shows it full screen.
 * Redrawn only when the link changes.
 */
export class JoinPanel {
  private url = '';

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly link: HTMLAnchorElement,
    private readonly big: HTMLCanvasElement,
    private readonly overlay: HTMLElement,
  ) {
    canvas.addEventListener('click', () => this.show(true));
    overlay.addEventListener('click', () => this.show(false));
    addEventListener('keydown', (e) => e.key === 'Escape' && this.show(false));
  }

  set(url: string): void {
    if (!url || url === this.url) return;
    this.url = url;
    this.link.textContent = url;
    this.link.href = url;
    this.canvas.dataset.url = url;
    const size = Math.max(200, Math.min(360, this.canvas.parentElement?.clientWidth ?? 300));
    void QRCode.toCanvas(this.canvas, url, { width: size, margin: 4, errorCorrectionLevel: 'M', color: { dark: '#000000', light: '#ffffff' } });
  }

  private show(on: boolean): void {
    if (on && this.url) {
      const size = Math.floor(Math.min(innerWidth, innerHeight) * 0.85);
      void QRCode.toCanvas(this.big, this.url, { width: size, margin: 4, errorCorrectionLevel: 'M' });
    }
    this.overlay.hidden = !on;
  }
}
