import { fail } from '../errors';

/**
 * Little-endian frame reading and writing. Tensors travel as raw bytes at
 * 4-byte-aligned offsets, so a reader can hand out Float32Array views over
 * the received buffer instead of copies.
 */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function align4(n: number): number {
  return (n + 3) & ~3;
}

export class FrameReader {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.byteLength;
  }

  need(offset: number, n: number, field: string): void {
    if (offset + n > this.bytes.byteLength) {
      throw fail(
        'FRAME_TRUNCATED',
        `${this.what} frame is ${this.bytes.byteLength} bytes; ${field} needs bytes ${offset}..${offset + n}`,
      );
    }
  }

  u8(offset: number, field: string): number {
    this.need(offset, 1, field);
    return this.view.getUint8(offset);
  }
  u16(offset: number, field: string): number {
    this.need(offset, 2, field);
    return this.view.getUint16(offset, true);
  }
  u32(offset: number, field: string): number {
    this.need(offset, 4, field);
    return this.view.getUint32(offset, true);
  }
  f32(offset: number, field: string): number {
    this.need(offset, 4, field);
    return this.view.getFloat32(offset, true);
  }
  f64(offset: number, field: string): number {
    this.need(offset, 8, field);
    return this.view.getFloat64(offset, true);
  }

  /** `n` float32 values at `offset`: a view when aligned, else a copy. */
  f32Array(offset: number, n: number, field: string): Float32Array {
    this.need(offset, n * 4, field);
    const abs = this.bytes.byteOffset + offset;
    if (HOST_IS_LITTLE_ENDIAN && abs % 4 === 0) return new Float32Array(this.bytes.buffer, abs, n);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.view.getFloat32(offset + i * 4, true);
    return out;
  }

  u32Array(offset: number, n: number, field: string): Uint32Array {
    this.need(offset, n * 4, field);
    const abs = this.bytes.byteOffset + offset;
    if (HOST_IS_LITTLE_ENDIAN && abs % 4 === 0) return new Uint32Array(this.bytes.buffer, abs, n);
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.view.getUint32(offset + i * 4, true);
    return out;
  }

  slice(offset: number, n: number, field: string): Uint8Array {
    this.need(offset, n, field);
    return this.bytes.subarray(offset, offset + n);
  }

  /** UTF-8 JSON from `offset` to the end of the frame. */
  json(offset: number): unknown {
    const text = new TextDecoder('utf-8', { fatal: true });
    let s: string;
    try {
      s = text.decode(this.bytes.subarray(offset));
    } catch {
      throw fail('FRAME_INVALID', `${this.what} frame body is not valid UTF-8`);
    }
    try {
      return JSON.parse(s);
    } catch {
      throw fail('FRAME_INVALID', `${this.what} frame body is not valid JSON`);
    }
  }
}

export class FrameWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u8(offset: number, v: number): void {
    this.view.setUint8(offset, v);
  }
  u16(offset: number, v: number): void {
    this.view.setUint16(offset, v, true);
  }
  u32(offset: number, v: number): void {
    this.view.setUint32(offset, v, true);
  }
  f32(offset: number, v: number): void {
    this.view.setFloat32(offset, v, true);
  }
  f64(offset: number, v: number): void {
    this.view.setFloat64(offset, v, true);
  }
  f32Array(offset: number, a: Float32Array): void {
    if (HOST_IS_LITTLE_ENDIAN) {
      this.bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
    } else {
      for (let i = 0; i < a.length; i++) this.view.setFloat32(offset + i * 4, a[i]!, true);
    }
  }
  u32Array(offset: number, a: Uint32Array): void {
    if (HOST_IS_LITTLE_ENDIAN) {
      this.bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
    } else {
      for (let i = 0; i < a.length; i++) this.view.setUint32(offset + i * 4, a[i]!, true);
    }
  }
  raw(offset: number, b: Uint8Array): void {
    this.bytes.set(b, offset);
  }
}

const encoder = new TextEncoder();

/** A frame whose body is UTF-8 JSON after a fixed header of `headerBytes`. */
export function jsonFrame(headerBytes: number, body: unknown, writeHeader: (w: FrameWriter) => void): Uint8Array {
  const json = encoder.encode(JSON.stringify(body));
  const w = new FrameWriter(headerBytes + json.byteLength);
  writeHeader(w);
  w.raw(headerBytes, json);
  return w.bytes;
}
