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
    private readonly bigLink: HTMLElement,
    private readonly projector = false,
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
    // On a projector the code fills its column (>= 600 px on a 1080p screen) so the back row can scan it.
    const room = this.canvas.parentElement?.clientWidth ?? 300;
    const size = this.projector ? Math.max(600, Math.min(room - 32, Math.round(innerHeight * 0.62))) : Math.max(200, Math.min(360, room));
    void QRCode.toCanvas(this.canvas, url, { width: size, margin: 4, errorCorrectionLevel: 'M', color: { dark: '#000000', light: '#ffffff' } });
  }

  private show(on: boolean): void {
    if (on && this.url) {
      // Room under the code for the link, for those who type it.
      const size = Math.floor(Math.min(innerWidth * 0.9, innerHeight * 0.8));
      void QRCode.toCanvas(this.big, this.url, { width: size, margin: 3, errorCorrectionLevel: 'M' });
      this.bigLink.textContent = this.url;
    }
    this.overlay.hidden = !on;
  }
}
