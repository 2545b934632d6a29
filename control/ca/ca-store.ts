/**
 * The CA directory on disk ($DOCKMESH_HOME/ca): roots and their keys, and `state.json` (which roots
 * are trusted, which one signs). Writes are atomic (temp file + rename); the first creation uses
 * `link`, which fails when another process created the CA first, so two racing processes end up with
 * the same CA.
 *
 *   ca/state.json          CaState
 *   ca/roots/<id>.crt      root certificate (PEM), 0644
 *   ca/roots/<id>.key      root private key (PKCS#8 PEM), 0600
 */
import { chmodSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** What `state.json` holds. */
export interface CaState {
  version: 1;
  /** Trusted roots, oldest first. */
  roots: Array<{ id: string; createdAt: string; notAfter: string }>;
  /** The root that signs new leaves (from `signFrom` on, when set). */
  signer: string;
  /** During a rotation: the root that keeps signing until `signFrom`. */
  previousSigner?: string;
  /** ISO time from which `signer` signs; before that `previousSigner` does. */
  signFrom?: string;
  /** ISO time of the last `rotate()`. */
  rotatedAt?: string;
}

export interface StoredRoot {
  id: string;
  certPem: string;
  keyPem: string;
}

export class CaStore {
  constructor(readonly dir: string) {}

  get statePath(): string {
    return join(this.dir, 'state.json');
  }

  #rootPath(id: string, ext: 'crt' | 'key'): string {
    return join(this.dir, 'roots', `${id}.${ext}`);
  }

  /** The state, or undefined when the CA has not been created. */
  readState(): CaState | undefined {
    let text: string;
    try {
      text = readFileSync(this.statePath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const s = JSON.parse(text) as CaState;
    if (s.version !== 1 || !Array.isArray(s.roots) || typeof s.signer !== 'string') {
      throw new Error(`${this.statePath}: not a dockmesh CA state (version ${String(s.version)})`);
    }
    return s;
  }

  /** Inode and modification time of state.json ('' when absent): cheap change detection (writes rename, so the inode changes). */
  stateStamp(): string {
    const st = statSync(this.statePath, { throwIfNoEntry: false });
    return st ? `${st.ino}:${st.mtimeMs}` : '';
  }

  readRoot(id: string): StoredRoot {
    return {
      id,
      certPem: readFileSync(this.#rootPath(id, 'crt'), 'utf8'),
      keyPem: readFileSync(this.#rootPath(id, 'key'), 'utf8'),
    };
  }

  /** Writes a root's files; the key is 0600 (also when the file existed with another mode). */
  writeRoot(root: StoredRoot): void {
    mkdirSync(join(this.dir, 'roots'), { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    const key = this.#rootPath(root.id, 'key');
    writeFileSync(key, root.keyPem, { mode: 0o600 });
    chmodSync(key, 0o600);
    writeFileSync(this.#rootPath(root.id, 'crt'), root.certPem, { mode: 0o644 });
  }

  removeRoot(id: string): void {
    rmSync(this.#rootPath(id, 'key'), { force: true });
    rmSync(this.#rootPath(id, 'crt'), { force: true });
  }

  /** Replaces state.json atomically. */
  writeState(state: CaState): void {
    const tmp = this.#tmp();
    writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o644 });
    renameSync(tmp, this.statePath);
  }

  /** Creates state.json only if absent; false when another process created it first. */
  createState(state: CaState): boolean {
    const tmp = this.#tmp();
    writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o644 });
    try {
      linkSync(tmp, this.statePath);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  #tmp(): string {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    return join(this.dir, `.state.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  }
}
