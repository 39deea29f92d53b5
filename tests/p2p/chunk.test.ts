import { describe, expect, it } from 'vitest';
import { chunkMessage, CHUNK_HEADER_BYTES, DEFAULT_CHUNK_BYTES, Reassembler } from '../../shared/p2p/chunk';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('p2p chunks', () => {
  it('cuts a message into golden bytes: magic, id, index, count, payload', () => {
    // 10 payload bytes, 13-byte chunks: 4 payload bytes per chunk -> 3 chunks (4, 4, 2).
    const payload = Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const chunks = chunkMessage(0x01020304, payload, 13);
    expect(chunks.map(hex)).toEqual([
      '50' + '04030201' + '0000' + '0300' + '00010203',
      '50' + '04030201' + '0100' + '0300' + '04050607',
      '50' + '04030201' + '0200' + '0300' + '0809',
    ]);
  });

  it('sends an empty message as one header-only chunk', () => {
    expect(chunkMessage(7, new Uint8Array(0)).map(hex)).toEqual(['50' + '07000000' + '0000' + '0100']);
  });

  it('keeps every chunk within 64 KiB by default, and reassembles 1 MB exactly', () => {
    const payload = new Uint8Array(1_000_003).map((_, i) => (i * 31) & 0xff);
    const chunks = chunkMessage(9, payload);
    expect(DEFAULT_CHUNK_BYTES).toBe(65_536);
    expect(Math.max(...chunks.map((c) => c.byteLength))).toBe(DEFAULT_CHUNK_BYTES);
    expect(chunks.length).toBe(Math.ceil(payload.length / (DEFAULT_CHUNK_BYTES - CHUNK_HEADER_BYTES)));
    const r = new Reassembler();
    const out = chunks.map((c) => r.push(c));
    expect(out.slice(0, -1).every((o) => o === null)).toBe(true);
    expect(Buffer.compare(out.at(-1) as Uint8Array, payload)).toBe(0);
    expect(r.pendingCount).toBe(0);
  });

  it('refuses chunk sizes beyond Chrome’s 256 KiB message limit', () => {
    expect(() => chunkMessage(1, new Uint8Array(4), 256 * 1024 + 1)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => chunkMessage(1, new Uint8Array(4), CHUNK_HEADER_BYTES)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('reassembles interleaved messages', () => {
    const a = chunkMessage(1, Uint8Array.from([1, 2, 3, 4, 5]), 11);
    const b = chunkMessage(2, Uint8Array.from([9, 8, 7]), 11);
    const r = new Reassembler();
    expect(r.push(a[0]!)).toBeNull();
    expect(r.push(b[0]!)).toBeNull();
    expect(r.push(a[1]!)).toBeNull();
    expect([...(r.push(b[1]!) as Uint8Array)]).toEqual([9, 8, 7]);
    expect([...(r.push(a[2]!) as Uint8Array)]).toEqual([1, 2, 3, 4, 5]);
  });

  it.each([
    ['a short chunk', Uint8Array.from([0x50, 1, 0, 0]), 'FRAME_TRUNCATED'],
    ['a wrong magic byte', Uint8Array.from([0x51, 1, 0, 0, 0, 0, 0, 1, 0]), 'FRAME_INVALID'],
    ['a zero chunk count', Uint8Array.from([0x50, 1, 0, 0, 0, 0, 0, 0, 0]), 'FRAME_INVALID'],
    ['an index past the count', Uint8Array.from([0x50, 1, 0, 0, 0, 2, 0, 2, 0]), 'FRAME_INVALID'],
  ])('refuses %s with a typed error', (_what, bytes, code) => {
    expect(() => new Reassembler().push(bytes)).toThrow(expect.objectContaining({ code }));
  });

  it('refuses a repeated chunk, a changed count and a message over the size bound', () => {
    const r = new Reassembler({ maxMessageBytes: 6 });
    const c = chunkMessage(3, Uint8Array.from([1, 2, 3, 4]), 11);
    r.push(c[0]!);
    expect(() => r.push(c[0]!)).toThrow(expect.objectContaining({ code: 'FRAME_INVALID' }));
    r.push(chunkMessage(4, new Uint8Array(4), 11)[0]!);
    expect(() => r.push(chunkMessage(4, new Uint8Array(6), 11)[0]!.map((v, i) => (i === 7 ? 3 : v)))).toThrow(expect.objectContaining({ code: 'FRAME_INVALID' }));
    const big = chunkMessage(5, new Uint8Array(8), 11);
    r.push(big[0]!);
    r.push(big[1]!);
    r.push(big[2]!);
    expect(() => r.push(big[3]!)).toThrow(expect.objectContaining({ code: 'FRAME_TOO_LARGE' }));
  });

  it('drops an unfinished message after staleMs on its clock, and bounds the messages held at once', () => {
    let now = 0;
    const r = new Reassembler({ staleMs: 1000, maxPending: 2, now: () => now });
    const a = chunkMessage(1, new Uint8Array(4), 11);
    r.push(a[0]!);
    now = 1001;
    r.push(chunkMessage(2, new Uint8Array(4), 11)[0]!);
    expect(r.dropped).toBe(1);
    expect(r.pendingCount).toBe(1);
    // message 1's later chunk starts a new assembly, not a completion
    expect(r.push(a[1]!)).toBeNull();
    r.push(chunkMessage(3, new Uint8Array(4), 11)[0]!);
    expect(r.pendingCount).toBe(2);
    expect(r.dropped).toBe(2);
  });
});
