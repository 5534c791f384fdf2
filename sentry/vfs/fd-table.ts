// The fd table: fd numbers to file descriptions, with close-on-exec.
import { E } from '../../abi/linux/errno.js';
import type { FileDescription } from './file-description.js';
import { lockKey, releaseLocks } from './lock.js';

interface Slot { file: FileDescription; cloexec: boolean }

export class FdTable {
  private slots: Array<Slot | undefined> = [];

  /** Tasks sharing this table (CLONE_FILES). */
  private refs = 1;

  constructor(public limit = 1024) {}

  incRef(): void { this.refs++; }
  decRef(): void { if (--this.refs === 0) this.closeAll(); }
  get shared(): boolean { return this.refs > 1; }

  get(fd: number): FileDescription | null {
    if (fd < 0) return null;
    return this.slots[fd]?.file ?? null;
  }
  getCloexec(fd: number): boolean { return this.slots[fd]?.cloexec ?? false; }
  setCloexec(fd: number, on: boolean): void { const s = this.slots[fd]; if (s) s.cloexec = on; }

  /** Installs at the lowest free fd >= min. Takes the caller's reference. */
  add(file: FileDescription, cloexec: boolean, min = 0): number {
    for (let fd = min; fd < this.limit; fd++) {
      if (this.slots[fd] === undefined) { this.slots[fd] = { file, cloexec }; return fd; }
    }
    file.decRef();
    return -E.EMFILE;
  }

  /** Installs at exactly fd, closing what was there. Takes the caller's reference. */
  setAt(fd: number, file: FileDescription, cloexec: boolean): number {
    if (fd < 0 || fd >= this.limit) { file.decRef(); return -E.EBADF; }
    const old = this.slots[fd];
    this.slots[fd] = { file, cloexec };
    if (old) this.dropFile(old.file);
    return fd;
  }

  close(fd: number): number {
    const s = fd >= 0 ? this.slots[fd] : undefined;
    if (!s) return -E.EBADF;
    this.slots[fd] = undefined;
    this.dropFile(s.file);
    return 0;
  }

  /** Linux's filp_close: closing any fd of a file drops this table's POSIX locks on it, then the reference. */
  private dropFile(file: FileDescription): void {
    releaseLocks(lockKey(file), this);
    file.decRef();
  }

  closeOnExec(): void {
    this.slots.forEach((s, fd) => { if (s?.cloexec) this.close(fd); });
  }

  closeAll(): void {
    this.slots.forEach((s, fd) => { if (s) this.close(fd); });
  }

  /** A copy sharing every description (fork). */
  fork(): FdTable {
    const t = new FdTable(this.limit);
    this.slots.forEach((s, fd) => { if (s) { s.file.incRef(); t.slots[fd] = { file: s.file, cloexec: s.cloexec }; } });
    return t;
  }

  fds(): number[] {
    const out: number[] = [];
    this.slots.forEach((s, fd) => { if (s) out.push(fd); });
    return out;
  }
}
