/**
 * A drawing pad for digits: white ink on black, like the training images.
 * `sample(h, w)` turns the drawing into the model's input the way MNIST was
 * made: crop to the ink, fit the longer side into 20/28 of the frame, centre
 * by the centre of mass, scale to [0, 1]. Null while nothing is drawn.
 */
export class DrawPad {
  private drawing = false;
  private last: { x: number; y: number } | null = null;
  private ink = false;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly onStroke: (final: boolean) => void,
  ) {
    const ctx = this.ctx();
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    canvas.style.touchAction = 'none';
    canvas.addEventListener('pointerdown', (e) => {
      canvas.setPointerCapture(e.pointerId);
      this.drawing = true;
      this.last = this.pos(e);
      this.line(this.last, this.last);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.drawing) return;
      const p = this.pos(e);
      this.line(this.last ?? p, p);
      this.last = p;
      this.onStroke(false);
    });
    const end = (): void => {
      if (!this.drawing) return;
      this.drawing = false;
      this.last = null;
      this.onStroke(true);
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  clear(): void {
    const ctx = this.ctx();
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.ink = false;
  }

  get empty(): boolean {
    return !this.ink;
  }

  /** The drawing as h x w grey values in [0, 1], row-major; null if empty. */
  sample(h: number, w: number): Float32Array | null {
    const W = this.canvas.width;
    const H = this.canvas.height;
    const src = this.ctx().getImageData(0, 0, W, H).data;
    let x0 = W;
    let y0 = H;
    let x1 = -1;
    let y1 = -1;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (src[4 * (y * W + x)]! > 24) {
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          if (y > y1) y1 = y;
        }
      }
    }
    if (x1 < 0) return null;
    const bw = x1 - x0 + 1;
    const bh = y1 - y0 + 1;
    const box = (20 / 28) * Math.min(h, w);
    const s = box / Math.max(bw, bh);
    const small = document.createElement('canvas');
    small.width = w;
    small.height = h;
    const sc = small.getContext('2d', { willReadFrequently: true })!;
    sc.fillStyle = '#000';
    sc.fillRect(0, 0, w, h);
    sc.imageSmoothingEnabled = true;
    sc.imageSmoothingQuality = 'high';
    const dw = bw * s;
    const dh = bh * s;
    sc.drawImage(this.canvas, x0, y0, bw, bh, (w - dw) / 2, (h - dh) / 2, dw, dh);
    let px = sc.getImageData(0, 0, w, h).data;
    // Centre of mass to the middle.
    let m = 0;
    let mx = 0;
    let my = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = px[4 * (y * w + x)]!;
        m += v;
        mx += v * x;
        my += v * y;
      }
    }
    const dx = Math.round((w - 1) / 2 - mx / m);
    const dy = Math.round((h - 1) / 2 - my / m);
    if (dx !== 0 || dy !== 0) {
      const shifted = document.createElement('canvas');
      shifted.width = w;
      shifted.height = h;
      const c2 = shifted.getContext('2d', { willReadFrequently: true })!;
      c2.fillStyle = '#000';
      c2.fillRect(0, 0, w, h);
      c2.drawImage(small, dx, dy);
      px = c2.getImageData(0, 0, w, h).data;
    }
    const out = new Float32Array(h * w);
    for (let i = 0; i < h * w; i++) out[i] = px[4 * i]! / 255;
    return out;
  }

  private ctx(): CanvasRenderingContext2D {
    return this.canvas.getContext('2d', { willReadFrequently: true })!;
  }

  private pos(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * this.canvas.width) / r.width, y: ((e.clientY - r.top) * this.canvas.height) / r.height };
  }

  private line(a: { x: number; y: number }, b: { x: number; y: number }): void {
    const ctx = this.ctx();
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = this.canvas.width / 13;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x + 0.01, b.y);
    ctx.stroke();
    this.ink = true;
  }
}
