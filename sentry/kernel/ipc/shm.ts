// SysV shared memory segments. A segment's pages are MemoryFile pages with
// a SharedBacking count (sentry/mm/vma.ts): the segment holds one
// reference until IPC_RMID, and every VMA piece that maps it holds one, so
// the pages go back to the MemoryFile when the last of them is gone, and
// shm_nattch is the count less the segment's own. Like Linux's, a VMA
// split by mprotect counts as one more attach.
import { pageRoundUp } from '../../../abi/linux/mman.js';
import type { MemoryFile } from '../../mm/memory-file.js';
import type { MappableFile, SharedBacking } from '../../mm/vma.js';
import { IpcRegistry, type IpcObject, type IpcPerm } from './registry.js';

/** Linux's defaults (ipc/shm.c, include/uapi/linux/shm.h). */
export const SHMMIN = 1;
export const SHMMNI = 4096;
export const SHMMAX = 0xffff_ffff_feff_ffffn; // ULONG_MAX - 2^24
export const SHMALL = 0xffff_ffff_feff_ffffn;
export const SHM_DEST = 0o1000, SHM_LOCKED = 0o2000;

export class ShmSegment implements IpcObject, MappableFile {
  id = -1;
  removed = false;
  atime = 0;
  dtime = 0;
  lpid = 0;
  readonly backing: SharedBacking;

  constructor(
    readonly perm: IpcPerm,
    /** shm_segsz: the size asked for, not rounded to pages. */
    readonly size: number,
    offset: number,
    readonly cpid: number,
    public ctime: number,
    private readonly memoryFile: MemoryFile,
  ) {
    this.backing = { offset, length: pageRoundUp(size), refs: 1 };
  }

  get nattch(): number { return this.backing.refs - (this.removed ? 0 : 1); }

  /** Gone for good: removed and no longer mapped anywhere. */
  get destroyed(): boolean { return this.backing.refs === 0; }

  get mappingName(): string { return `/SYSV${(this.perm.key >>> 0).toString(16).padStart(8, '0')} (deleted)`; }

  /** MappableFile: a mapping that copies the segment (mremap moves one) reads its current bytes. */
  readInto(offset: number, dst: Uint8Array): number {
    const n = Math.max(0, Math.min(dst.length, this.backing.length - offset));
    dst.set(this.memoryFile.bytesAt(this.backing.offset + offset, n).subarray(0, n));
    return n;
  }

  /** IPC_RMID: the key is freed at once; the pages when the last mapping goes. */
  markRemoved(): void {
    if (this.removed) return;
    this.removed = true;
    this.perm.mode |= SHM_DEST;
    this.perm.key = 0;
    this.backing.refs--;
    if (this.backing.refs === 0) this.memoryFile.release(this.backing.offset, this.backing.length);
  }
}

export class ShmRegistry extends IpcRegistry<ShmSegment> {
  constructor() { super(SHMMNI); }

  /** Forgets removed segments whose last mapping has gone (their pages went with it). */
  tidy(): void {
    for (const s of this.objects()) if (s.removed && s.destroyed) this.delete(s);
  }

  /** Pages in use by segments, for SHM_INFO. */
  totalPages(): number {
    return this.objects().reduce((n, s) => n + s.backing.length / 4096, 0);
  }
}
