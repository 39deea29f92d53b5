import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fail, isTabtrainError } from '../../shared/errors';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointFile } from './checkpointFormat';

/**
 * A directory of checkpoints: `ckpt-<step>.ttck` files written atomically
 * (temporary file, fsync, rename, fsync of the directory), the last `keep`
 * kept. Loading takes the newest file that reads back whole; an unusable one
 * is reported, renamed to `*.corrupt` (kept for a post-mortem, never loaded
 * or pruned again) and the previous one is tried.
 *
 * The directory also holds `tokens.json`, the join and admin tokens, so a
 * restarted coordinator accepts the tabs that still hold the old join link.
 */
const PATTERN = /^ckpt-(\d+)\.ttck$/;

export interface RunTokens {
  joinToken: string;
  adminToken: string;
}

export class CheckpointStore {
  constructor(
    readonly dir: string,
    readonly keep = 3,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    if (!Number.isInteger(keep) || keep < 1) throw fail('CONFIG_INVALID', `checkpoints to keep must be a whole number >= 1, got ${keep}`);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw fail('CHECKPOINT_INVALID', `--checkpoint-dir: cannot create ${dir} (${e instanceof Error ? e.message : String(e)})`);
    }
  }

  /** Checkpoint files, newest (highest step) first. */
  list(): { file: string; step: number }[] {
    return readdirSync(this.dir)
      .map((f) => ({ f, m: PATTERN.exec(f) }))
      .filter((x) => x.m !== null)
      .map((x) => ({ file: join(this.dir, x.f), step: Number(x.m![1]) }))
      .sort((a, b) => b.step - a.step);
  }

  /** Writes the checkpoint of `step` atomically and prunes older ones; returns its path. */
  save<M>(step: number, c: CheckpointFile<M>): string {
    const file = join(this.dir, `ckpt-${String(step).padStart(9, '0')}.ttck`);
    writeAtomic(this.dir, file, encodeCheckpoint(c));
    for (const old of this.list().slice(this.keep)) {
      try {
        unlinkSync(old.file);
      } catch {
        // Already gone (another process pruned it): nothing to do.
      }
    }
    return file;
  }

  /** The newest checkpoint that reads back whole, or null when there is none. */
  loadNewest<M>(): { file: string; data: CheckpointFile<M> } | null {
    // Left by a crash in the middle of a write: never complete, never renamed into place.
    for (const f of readdirSync(this.dir)) {
      if (/\.tmp-\d+-[0-9a-f]+$/.test(f)) {
        try {
          unlinkSync(join(this.dir, f));
        } catch {
          // gone already
        }
      }
    }
    for (const { file } of this.list()) {
      try {
        return { file, data: decodeCheckpoint<M>(readFileSync(file), file) };
      } catch (e) {
        if (!isTabtrainError(e)) throw e;
        this.log(`${e.code}: ${e.message}; it is renamed to ${file}.corrupt and the previous checkpoint is tried`);
        try {
          renameSync(file, `${file}.corrupt`);
        } catch {
          // Read-only directory: the file stays, and is skipped again next time.
        }
      }
    }
    return null;
  }

  /**
   * Claims the directory for this process (a `lock` file with its pid), so two
   * coordinators never write checkpoints into one directory. A lock left by a
   * process that is gone (killed, crashed) is taken over.
   */
  acquire(): void {
    const file = join(this.dir, 'lock');
    if (existsSync(file)) {
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw fail('CHECKPOINT_INVALID', `--checkpoint-dir ${this.dir} is in use by another tabtrain (pid ${pid}); stop it first, or choose another directory`);
      }
    }
    writeAtomic(this.dir, file, new TextEncoder().encode(String(process.pid)));
  }

  /** A fresh run must not mix with (or take the tokens of) checkpoints already in the directory. */
  assertFresh(): void {
    const newest = this.list()[0];
    if (newest) {
      throw fail('CHECKPOINT_INVALID', `--checkpoint-dir ${this.dir} already holds checkpoints (newest: step ${newest.step}); add --resume to continue that run, or choose an empty directory`);
    }
  }

  /** The run's tokens: the saved ones when resuming (so old join links keep working), else new ones, saved. */
  tokens(resume: boolean, given: Partial<RunTokens> = {}): RunTokens {
    this.acquire();
    const file = join(this.dir, 'tokens.json');
    if (!resume) this.assertFresh();
    if (resume && existsSync(file)) {
      try {
        const t = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunTokens>;
        if (typeof t.joinToken === 'string' && typeof t.adminToken === 'string') return { joinToken: t.joinToken, adminToken: t.adminToken };
      } catch {
        // fall through: new tokens
      }
      this.log(`${file} is unreadable: new join and admin tokens are issued; open tabs must use the new join link`);
    }
    const t: RunTokens = { joinToken: given.joinToken ?? randomBytes(8).toString('hex'), adminToken: given.adminToken ?? randomBytes(12).toString('hex') };
    writeAtomic(this.dir, file, new TextEncoder().encode(JSON.stringify(t)));
    return t;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, under another user.
    return (e as { code?: string }).code === 'EPERM';
  }
}

/** Temporary file in the same directory, fsync, rename over the target, fsync the directory. */
export function writeAtomic(dir: string, file: string, bytes: Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    let at = 0;
    while (at < bytes.byteLength) at += writeSync(fd, bytes, at, bytes.byteLength - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing left to clean
    }
    throw e;
  }
  try {
    const d = openSync(dir, 'r');
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  }
}
