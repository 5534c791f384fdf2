// The pages of a Gofer file that MAP_SHARED mappings use: a cache of the
// file in the MemoryFile (FilePages), one per inode, shared by every
// shared mapping of it in every process, and kept coherent with read(2)
// and write(2) of the same inode:
//
// - write(2) goes to the Gofer, then into the cached pages (and their clean
//   copy), so mappings see it at once;
// - read(2) first writes back what mappings changed in the pages it reads;
// - msync(2), munmap(2) and exit write back the pages the mappings changed.
//
// What changed is found by comparing each page with a clean copy (the bytes
// as last read from or written to the file): no page-table dirty bits are
// needed, and only the runs of changed bytes are written, so bytes a
// mapping did not touch do not overwrite the file (a page changed in more
// than a few places is written from its first change to its last). Write-back never makes
// the file longer: stores past the end of the file are dropped, as Linux
// drops them.
//
// Limits: the clean copy doubles the memory a range mapped writable takes
// (read-only mappings need none); changes
// made to the host file behind the Sentry's back are not seen by pages
// already cached; two inodes for one host file (hard links) have a cache
// each.
import { E } from '../../../abi/linux/errno.js';
import { PAGE_SIZE } from '../../../abi/linux/mman.js';
import { FilePages, FREE_PAGES } from '../../mm/file-pages.js';
import type { MemoryFile } from '../../mm/memory-file.js';
import type { SharedBacking, SharedOwner, SharedPiece } from '../../mm/vma.js';

/** What the cache needs from an open Gofer file. */
export interface CacheFile {
  readonly writable: boolean;
  readInto(offset: number, dst: Uint8Array): number;
  /** pwrite: bytes written or -errno. */
  write(src: Uint8Array, offset: number): number;
  /** The file's size, or -errno. */
  fileSize(): number;
  incRef(): void;
  decRef(): void;
}

/** A page with more changed runs than this is written as one span. */
const MAX_RUNS = 8;

/**
 * The [lo, hi) runs of bytes where cur differs from old: each written on
 * its own, so bytes between them are never rewritten; a page changed all
 * over is one span from the first change to the last.
 */
function changedRuns(cur: Uint8Array, old: Uint8Array): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  let i = 0;
  while (i < cur.length) {
    if (cur[i] === old[i]) { i++; continue; }
    const lo = i;
    while (i < cur.length && cur[i] !== old[i]) i++;
    runs.push([lo, i]);
  }
  if (runs.length > MAX_RUNS) return [[runs[0][0], runs[runs.length - 1][1]]];
  return runs;
}

export class GoferSharedCache implements SharedOwner {
  readonly store: FilePages;
  /** Per extent: its bytes as last read from or written to the file. */
  private readonly clean = new Map<SharedBacking, Uint8Array>();
  /** An open file that can write back (a reference is held); null while only read-only mappings exist. */
  private writer: CacheFile | null = null;

  constructor(mf: MemoryFile, private readonly onEmpty: () => void) {
    this.store = new FilePages(mf, this);
  }

  /** The cached pages of [offset, offset+length) for a mapping through file, read from it where missing. */
  share(file: CacheFile, offset: number, length: number): SharedPiece[] | number {
    if (file.writable && this.writer === null) { file.incRef(); this.writer = file; }
    const r = this.store.fill(offset, length, FREE_PAGES, (pos, bytes) => {
      const n = file.readInto(pos, bytes);
      return n < 0 ? n : 0;
    });
    // Only a writable mapping can change pages, so read-only ones need no
    // clean copy; pages cached before the first writable mapping still
    // hold the file's bytes when it comes.
    if (this.writer !== null) {
      for (const e of this.store.extents) {
        if (!this.clean.has(e.mem)) this.clean.set(e.mem, this.store.mf.bytesAt(e.mem.offset, e.mem.length).slice());
      }
    }
    if (r < 0) { this.dropUnused(); return r; }
    return this.store.share(offset, length);
  }

  /** write(2) reached the file: the cached pages take the same bytes. */
  wrote(offset: number, src: Uint8Array): void {
    this.store.writeHeld(offset, src);
    this.store.forEach(offset, src.length, (e, mem, pos, n) => {
      this.clean.get(e.mem)?.set(src.subarray(pos - offset, pos - offset + n), mem - e.mem.offset);
    });
  }

  /** The file was truncated to size: cached bytes past it read as zeros. */
  truncated(size: number): void {
    this.store.truncate(size);
    for (const [b, copy] of this.clean) {
      const e = this.store.extentOf(b);
      if (e === undefined) { this.clean.delete(b); continue; }
      if (e.fileStart + e.length > size) copy.fill(0, Math.max(0, size - e.fileStart));
    }
  }

  /** Writes back what mappings changed in [offset, offset+length) of the file (before a read sees it). */
  flush(offset: number, length: number): number {
    let err = 0;
    this.store.forEach(offset, length, (e, mem, _pos, n) => {
      const r = this.writeBack(e.mem, mem, n);
      if (r < 0 && err === 0) err = r;
    });
    return err;
  }

  /** SharedOwner: a mapping went away; its changes go to the file, and pages no one maps leave the cache. */
  unmapped(b: SharedBacking): void {
    this.writeBack(b, b.offset, b.length);
    this.dropUnused();
  }

  /** SharedOwner: msync. */
  sync(b: SharedBacking, memOffset: number, length: number): number {
    return this.writeBack(b, memOffset, length);
  }

  /**
   * Writes the changed span of each changed page in b's [memOffset,
   * memOffset+length) to the file, clipped to its size. -EIO if a write
   * fails (the page stays changed, for a later try).
   */
  private writeBack(b: SharedBacking, memOffset: number, length: number): number {
    const e = this.store.extentOf(b);
    const copy = this.clean.get(b);
    if (e === undefined || copy === undefined) return 0;
    const mf = this.store.mf;
    let size = -1;
    const first = memOffset - (memOffset % PAGE_SIZE);
    for (let page = first; page < memOffset + length; page += PAGE_SIZE) {
      const at = page - b.offset;
      const cur = mf.bytesAt(page, PAGE_SIZE), old = copy.subarray(at, at + PAGE_SIZE);
      if (Buffer.compare(cur, old) === 0) continue;
      if (size < 0) {
        size = this.writer === null ? -E.EIO : this.writer.fileSize();
        if (size < 0) return -E.EIO;
      }
      const pos = e.fileStart + at;
      for (const [lo, hi] of changedRuns(cur, old)) {
        const end = Math.min(pos + hi, size);
        if (pos + lo >= end) continue;
        const bytes = cur.slice(lo, end - pos);
        const n = this.writer!.write(bytes, pos + lo);
        if (n !== bytes.length) return -E.EIO;
      }
      old.set(cur);
    }
    return 0;
  }

  /** Pages no mapping uses leave the cache; an empty cache lets the inode go of it. */
  private dropUnused(): void {
    for (const e of [...this.store.extents]) {
      if (e.mem.refs === 1) { this.clean.delete(e.mem); this.store.remove(e); }
    }
    if (this.store.extents.length === 0) {
      this.writer?.decRef();
      this.writer = null;
      this.onEmpty();
    }
  }
}
