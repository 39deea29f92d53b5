import type { FromPeer, ToPeer } from '../peer/hostMessages';
import { PeerRuntime } from '../peer/peerRuntime';

/**
 * The volunteer's computing thread. A page's timers and GPU work are
 * throttled when its tab is hidden or behind other windows; a dedicated
 * worker's are not, so the gradient work runs here, with WebGL through
 * OffscreenCanvas. The page only shows what this thread reports.
 */
// The project compiles against the DOM lib; this is the slice of a dedicated worker's scope used here.
const scope = self as unknown as { postMessage(m: FromPeer): void; onmessage: ((e: MessageEvent<ToPeer>) => void) | null };

const runtime = new PeerRuntime((m) => scope.postMessage(m));
scope.onmessage = (e) => runtime.handle(e.data);
