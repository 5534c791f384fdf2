// tmpfs regular files: data in 4 KiB pages, allocated when first written
// (a hole reads as zeros and takes no space), and the open file that reads,
// writes and maps them.
//
// A file starts with its pages on the JavaScript heap. The first MAP_SHARED
// mapping moves them into the MemoryFile (FilePages) for good: from then on
// read, write and every shared mapping use the same pages, so a store
// through a mapping is what read(2) returns and a write(2) shows in every
// mapping, in every process. Private mappings are copies made from readInto.
import { E } from '../../../abi/linux/errno.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE } from '../../../abi/linux/falloc.js';
import { O_APPEND } from '../../../abi/linux/fcntl.js';
import { S_IFREG, type Stat } from '../../../abi/linux/stat.js';
import { FilePages, FREE_PAGES, type PageCharge } from '../../mm/file-pages.js';
import type { MemoryFile } from '../../mm/memory-file.js';
import type { MappableFile, SharedBacking, SharedOwner, SharedPiece } from '../../mm/vma.js';
import { FileDescription } from '../../vfs/file-description.js';
import { PAGE_SIZE, type Tmpfs, TmpfsInode } from './fs.js';

/** The largest size a file may reach: offsets stay exact JavaScript numbers. */
export const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER;

export class TmpfsRegular extends TmpfsInode implements SharedOwner {
  /** Page index to page; a missing page is a hole. Empty once the file is in the MemoryFile. */
  private readonly pages = new Map<number, Uint8Array>();
  /** The file's pages once it has been mapped shared; null until then. */
  private store: FilePages | null = null;
  private length = 0;
  /** Open file descriptions: they keep an unlinked file's data. */
  opens = 0;

  constructor(fs: Tmpfs, ino: bigint, mode: number, uid: number, gid: number) {
    super(fs, S_IFREG, ino, mode, uid, gid);
  }

  protected override get size(): number { return this.length; }
  protected override get blocks(): number { return (this.store?.pages ?? this.pages.size) * (PAGE_SIZE / 512); }
  get fileSize(): number { return this.length; }

  open(flags: number): TmpfsFile {
    return new TmpfsFile(this, flags);
  }

  /** Copies the bytes at offset into dst (zeros for holes); returns how many there were (0 at end of file). */
  readAt(offset: number, dst: Uint8Array): number {
    if (offset >= this.length) return 0;
    const n = Math.min(dst.length, this.length - offset);
    if (this.store !== null) { this.store.read(offset, dst.subarray(0, n)); return n; }
    let done = 0;
    while (done < n) {
      const pos = offset + done;
      const idx = Math.floor(pos / PAGE_SIZE), at = pos % PAGE_SIZE;
      const k = Math.min(PAGE_SIZE - at, n - done);
      const page = this.pages.get(idx);
      if (page !== undefined) dst.set(page.subarray(at, at + k), done);
      else dst.fill(0, done, done + k);
      done += k;
    }
    return n;
  }

  /**
   * Writes src at offset, taking pages as it goes: stops short when the
   * file system is full, and fails with ENOSPC only when nothing was
   * written; EFBIG past the largest size.
   */
  writeAt(offset: number, src: Uint8Array): number {
    if (src.length === 0) return 0;
    if (offset >= MAX_FILE_SIZE) return -E.EFBIG;
    const count = Math.min(src.length, MAX_FILE_SIZE - offset);
    let done = 0;
    if (this.store !== null) done = this.writeStore(offset, src.subarray(0, count));
    while (done < count && this.store === null) {
      const pos = offset + done;
      const idx = Math.floor(pos / PAGE_SIZE), at = pos % PAGE_SIZE;
      const k = Math.min(PAGE_SIZE - at, count - done);
      let page = this.pages.get(idx);
      if (page === undefined) {
        if (!this.fs.takePages(1)) break;
        page = new Uint8Array(PAGE_SIZE);
        this.pages.set(idx, page);
      }
      page.set(src.subarray(done, done + k), at);
      done += k;
    }
    if (done === 0) return -E.ENOSPC;
    if (offset + done > this.length) this.length = offset + done;
    this.touchMtime();
    return done;
  }

  /** writeAt for a file in the MemoryFile: as many bytes as pages could be had for. */
  private writeStore(offset: number, src: Uint8Array): number {
    const store = this.store!;
    store.fill(offset, src.length, this.charge);
    // On ENOSPC, the part from offset that has pages is written.
    let held = 0;
    store.forEach(offset, src.length, (_e, _m, pos, n) => { if (pos === offset + held) held += n; });
    store.writeHeld(offset, src.subarray(0, held));
    return held;
  }

  /** Pages from the file system's limit: as many as are left, for a write that may stop short. */
  private readonly charge: PageCharge = {
    take: (pages) => {
      const n = Math.min(pages, this.fs.freePages);
      return n > 0 && this.fs.takePages(n) ? n : 0;
    },
    give: (pages) => this.fs.returnPages(pages),
  };

  /** Shrinking frees the pages past the end and zeroes the rest of the last one; growing makes a hole. */
  protected override resize(size: number): number {
    if (size > MAX_FILE_SIZE) return -E.EFBIG;
    if (size === this.length) return 0;
    if (size < this.length) this.zeroFrom(size);
    this.length = size;
    this.touchMtime();
    return 0;
  }

  /** Drops every page from byte `from` on (pages past the end included) and zeroes the rest of the page holding it. */
  private zeroFrom(from: number): void {
    if (this.store !== null) { this.fs.returnPages(this.store.truncate(from)); return; }
    const keep = Math.ceil(from / PAGE_SIZE);
    for (const idx of [...this.pages.keys()]) {
      if (idx >= keep) { this.pages.delete(idx); this.fs.returnPages(1); }
    }
    if (from % PAGE_SIZE !== 0) this.pages.get(keep - 1)?.fill(0, from % PAGE_SIZE);
  }

  /**
   * fallocate(2) as Linux's shmem does it: mode 0 and KEEP_SIZE take the
   * pages of the range (all of them or, with ENOSPC, none); PUNCH_HOLE
   * (with KEEP_SIZE) gives the range's whole pages back and zeroes the
   * partial ones. Other modes are EOPNOTSUPP.
   */
  allocate(mode: number, offset: number, length: number): number {
    const end = offset + length;
    if (end > MAX_FILE_SIZE) return -E.EFBIG;
    if (mode & FALLOC_FL_PUNCH_HOLE) {
      if (mode & ~(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)) return -E.EOPNOTSUPP;
      this.punch(offset, end);
      this.touchMtime();
      return 0;
    }
    if (mode & ~FALLOC_FL_KEEP_SIZE) return -E.EOPNOTSUPP;
    if (this.store !== null) {
      // All the pages or none, as shmem's fallocate.
      if (this.store.missing(offset, length) > this.fs.freePages) return -E.ENOSPC;
      const r = this.store.fill(offset, length, this.charge);
      if (r < 0) return r;
    } else if (!this.allocatePages(offset, end)) {
      return -E.ENOSPC;
    }
    if (!(mode & FALLOC_FL_KEEP_SIZE) && end > this.length) {
      this.length = end;
      this.touchMtime();
    } else {
      this.touchCtime();
    }
    return 0;
  }

  /** Takes the heap pages of [offset, end): all of them, or none when the file system is full. */
  private allocatePages(offset: number, end: number): boolean {
    const first = Math.floor(offset / PAGE_SIZE), last = Math.ceil(end / PAGE_SIZE);
    let missing = 0;
    for (let i = first; i < last; i++) if (!this.pages.has(i)) missing++;
    if (!this.fs.takePages(missing)) return false;
    for (let i = first; i < last; i++) if (!this.pages.has(i)) this.pages.set(i, new Uint8Array(PAGE_SIZE));
    return true;
  }

  /** A hole in a file in the MemoryFile keeps its extents (a mapping may use them); their pages are dropped. */
  private punch(start: number, end: number): void {
    if (this.store !== null) { this.store.zero(start, end); return; }
    let pos = start;
    while (pos < end) {
      const idx = Math.floor(pos / PAGE_SIZE), at = pos % PAGE_SIZE;
      const k = Math.min(PAGE_SIZE - at, end - pos);
      const page = this.pages.get(idx);
      if (page !== undefined) {
        if (k === PAGE_SIZE) { this.pages.delete(idx); this.fs.returnPages(1); } else page.fill(0, at, at + k);
      }
      pos += k;
    }
  }

  protected override inUse(): boolean { return this.opens > 0; }

  /**
   * The file's pages for a MAP_SHARED mapping of [offset, offset+length):
   * the first one moves the file into mf. Pages past the end of the file
   * are made too (they are the file's when it grows), and charged.
   */
  sharePages(mf: MemoryFile, offset: number, length: number): SharedPiece[] | number {
    if (this.store === null) {
      const r = this.moveTo(mf, offset, length);
      if (r < 0) return r;
    }
    const store = this.store!;
    if (store.mf !== mf) return -E.ENODEV;
    const r = store.fill(offset, length, this.charge);
    if (r < 0) return r;
    return store.share(offset, length);
  }

  /**
   * Moves the heap pages into mf. Each run of pages, with the range about
   * to be mapped counted in, becomes one extent (so mapping a whole file is
   * one VMA); the heap pages stay charged, the mapped range's new pages are
   * charged here.
   */
  private moveTo(mf: MemoryFile, offset: number, length: number): number {
    const first = Math.floor(offset / PAGE_SIZE), last = Math.ceil((offset + length) / PAGE_SIZE);
    const extra = last - first - [...this.pages.keys()].filter((i) => i >= first && i < last).length;
    if (!this.fs.takePages(extra)) return -E.ENOSPC;
    const idx = new Set(this.pages.keys());
    for (let i = first; i < last; i++) idx.add(i);
    const sorted = [...idx].sort((a, b) => a - b);
    const store = new FilePages(mf, this);
    for (let i = 0; i < sorted.length;) {
      let j = i + 1;
      while (j < sorted.length && sorted[j] === sorted[j - 1] + 1) j++;
      const r = store.fill(sorted[i] * PAGE_SIZE, (j - i) * PAGE_SIZE, FREE_PAGES);
      if (r < 0) { store.clear(); this.fs.returnPages(extra); return r; }
      i = j;
    }
    for (const [i, page] of this.pages) store.writeHeld(i * PAGE_SIZE, page);
    this.pages.clear();
    this.store = store;
    return 0;
  }

  /** SharedOwner: pages past the end that the last mapping let go of go back. */
  unmapped(b: SharedBacking): void {
    if (b.refs !== 1 || this.store === null) return;
    const e = this.store.extentOf(b);
    if (e !== undefined && e.fileStart >= this.length + ((PAGE_SIZE - (this.length % PAGE_SIZE)) % PAGE_SIZE)) {
      this.store.remove(e);
      this.fs.returnPages(e.length / PAGE_SIZE);
    }
  }

  /** SharedOwner: the pages are the file's; there is nothing to write back. */
  sync(): number { return 0; }

  protected override free(): void {
    if (this.store !== null) { this.fs.returnPages(this.store.clear()); this.store = null; }
    this.fs.returnPages(this.pages.size);
    this.pages.clear();
    this.length = 0;
    super.free();
  }
}

/** An open tmpfs regular file: private mappings copy from readInto, shared ones map the file's pages. */
export class TmpfsFile extends FileDescription implements MappableFile {
  constructor(readonly inode: TmpfsRegular, flags: number) {
    super(flags);
    inode.opens++;
  }

  get mappingName(): string {
    if (this.dentry === null) return '/memfd';
    return this.dentry.path(null) + (this.dentry.unlinked ? ' (deleted)' : '');
  }

  stat(): Stat { return this.inode.stat(); }

  readInto(offset: number, dst: Uint8Array): number { return this.inode.readAt(offset, dst); }

  sharePages(mf: MemoryFile, offset: number, length: number): SharedPiece[] | number {
    return this.inode.sharePages(mf, offset, length);
  }

  override read(dst: Uint8Array, offset: number): number {
    const at = offset < 0 ? this.offset : offset;
    const n = this.inode.readAt(at, dst);
    this.inode.touchAtime();
    if (offset < 0) this.offset += n;
    return n;
  }

  override write(src: Uint8Array, offset: number): number {
    // O_APPEND appends even for pwrite, as Linux does (pwrite(2), BUGS).
    const at = this.flags & O_APPEND ? this.inode.fileSize : offset < 0 ? this.offset : offset;
    const n = this.inode.writeAt(at, src);
    if (n > 0 && offset < 0) this.offset = at + n;
    return n;
  }

  override truncate(size: number): number { return this.inode.setattr({ size }); }
  override allocate(mode: number, offset: number, length: number): number { return this.inode.allocate(mode, offset, length); }
  override fsync(): number { return 0; }

  protected override release(): void {
    this.inode.opens--;
    this.inode.maybeFree();
  }
}
