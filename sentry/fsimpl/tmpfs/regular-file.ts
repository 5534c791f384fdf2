// tmpfs regular files: data in 4 KiB pages, allocated when first written
// (a hole reads as zeros and takes no space), and the open file that reads,
// writes and maps them. Mappings are private copies made from readInto,
// as for the Gofer's files.
import { E } from '../../../abi/linux/errno.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE } from '../../../abi/linux/falloc.js';
import { O_APPEND } from '../../../abi/linux/fcntl.js';
import { S_IFREG, type Stat } from '../../../abi/linux/stat.js';
import type { MappableFile } from '../../mm/vma.js';
import { FileDescription } from '../../vfs/file-description.js';
import { PAGE_SIZE, type Tmpfs, TmpfsInode } from './fs.js';

/** The largest size a file may reach: offsets stay exact JavaScript numbers. */
export const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER;

export class TmpfsRegular extends TmpfsInode {
  /** Page index to page; a missing page is a hole. */
  private readonly pages = new Map<number, Uint8Array>();
  private length = 0;
  /** Open file descriptions: they keep an unlinked file's data. */
  opens = 0;

  constructor(fs: Tmpfs, ino: bigint, mode: number, uid: number, gid: number) {
    super(fs, S_IFREG, ino, mode, uid, gid);
  }

  protected override get size(): number { return this.length; }
  protected override get blocks(): number { return this.pages.size * (PAGE_SIZE / 512); }
  get fileSize(): number { return this.length; }

  open(flags: number): TmpfsFile {
    return new TmpfsFile(this, flags);
  }

  /** Copies the bytes at offset into dst (zeros for holes); returns how many there were (0 at end of file). */
  readAt(offset: number, dst: Uint8Array): number {
    if (offset >= this.length) return 0;
    const n = Math.min(dst.length, this.length - offset);
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
    while (done < count) {
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
    const first = Math.floor(offset / PAGE_SIZE), last = Math.ceil(end / PAGE_SIZE);
    let missing = 0;
    for (let i = first; i < last; i++) if (!this.pages.has(i)) missing++;
    if (!this.fs.takePages(missing)) return -E.ENOSPC;
    for (let i = first; i < last; i++) if (!this.pages.has(i)) this.pages.set(i, new Uint8Array(PAGE_SIZE));
    if (!(mode & FALLOC_FL_KEEP_SIZE) && end > this.length) {
      this.length = end;
      this.touchMtime();
    } else {
      this.touchCtime();
    }
    return 0;
  }

  private punch(start: number, end: number): void {
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

  protected override free(): void {
    this.fs.returnPages(this.pages.size);
    this.pages.clear();
    this.length = 0;
    super.free();
  }
}

/** An open tmpfs regular file. implements MappableFile: mmap copies from readInto. */
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
