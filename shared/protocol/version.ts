/**
 * Bumped on any change to a frame layout. Checked once, at HELLO: the u16 at
 * offset 1 of HELLO keeps its place in every version, so any client can be
 * told why it was refused.
 */
export const PROTOCOL_VERSION = 1;
