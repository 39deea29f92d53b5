/**
 * `p`, or a rejection naming `what` after `ms`: a close that hangs becomes an
 * error the bench reports, instead of a bench that never ends.
 */
export function bounded<T>(what: string, p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} hung for more than ${Math.round(ms / 1000)} s`)), ms);
    }),
  ]);
}
