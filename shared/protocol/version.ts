/**
 * Bumped on any change to a frame layout. Checked once, at HELLO: the u16 at
 * offset 1 of HELLO keeps its place in every version, so any client can be
 * told why it was refused.
 */
export const PROTOCOL_VERSION = 2;
/* v2: TASK header grew to 36 bytes (baseVersion at 32, flag WEIGHTS_DELTA) for --weights-codec delta. */
