import { decodeDataset, datasetHash } from '../../shared/data/codec';
import type { Dataset } from '../../shared/data/dataset';

/**
 * Datasets are immutable and addressed by content hash: a peer downloads one
 * once and keeps it across reconnects, and node peers in one process share it.
 */
const cache = new Map<string, Promise<Dataset>>();

export function loadDataset(url: string, hash: string): Promise<Dataset> {
  let p = cache.get(hash);
  if (!p) {
    p = download(url, hash);
    cache.set(hash, p);
    p.catch(() => cache.delete(hash));
  }
  return p;
}

async function download(url: string, hash: string): Promise<Dataset> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`dataset download failed: HTTP ${res.status} for ${url}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  // crypto.subtle exists only in secure contexts (https or localhost): a tab
  // on a classroom LAN over plain http skips the check; the decoder still
  // validates every length.
  if (globalThis.crypto?.subtle) {
    const got = await datasetHash(bytes);
    if (got !== hash) throw new Error(`dataset hash mismatch: got ${got.slice(0, 12)}, expected ${hash.slice(0, 12)}`);
  }
  return decodeDataset(bytes);
}
