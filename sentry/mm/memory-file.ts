// The MemoryFile: one memfd holding every page the application can touch.
// The Sentry maps it into itself in 1 GiB windows (koffi views stop at
// 4 GiB) and reads application memory through those views with no system
// call; the platform maps the same pages into the application.
import { fallocate, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, ftruncate, mapShared, memfd, seekSparse, SEEK_DATA, SEEK_HOLE, copyFileRange, sendfileAt } from '../../host/memory.js';
import { PAGE_SIZE } from '../../abi/linux/mman.js';

export const CHUNK_SIZE = 2 ** 30;
const MAX_CHUNKS = 64;

interface Extent { offset: number; length: number }

export class MemoryFile {
  readonly fd: number;
  /** chunk i holds file offsets [i*CHUNK_SIZE, (i+1)*CHUNK_SIZE). */
  private readonly chunks: Uint8Array[] = [];
  private readonly views: DataView[] = [];
  /** Free extents, sorted by offset, coalesced. */
  private free: Extent[] = [];
  /** Length of the memfd. */
  private size = 0;
  /** Everything below top has been handed out at least once. */
  private top = 0;

  constructor() {
    this.fd = memfd('memory-file', 1 /* MFD_CLOEXEC */);
    if (this.fd < 0) throw new Error(`memfd_create: errno ${-this.fd}`);
  }

  /** Allocates zeroed pages that never straddle a chunk. Returns offset or -ENOMEM. */
  allocate(length: number): number {
    if (length <= 0 || length > CHUNK_SIZE || length % PAGE_SIZE !== 0) return -12;
    for (let i = 0; i < this.free.length; i++) {
      const e = this.free[i];
      const chunkEnd = (Math.floor(e.offset / CHUNK_SIZE) + 1) * CHUNK_SIZE;
      if (e.length >= length && e.offset + length <= chunkEnd) {
        const offset = e.offset;
        if (e.length === length) this.free.splice(i, 1); else { e.offset += length; e.length -= length; }
        return offset;
      }
    }
    // Bump-allocate, starting a new chunk if the request does not fit in the current one.
    let offset = this.top;
    const chunkEnd = (Math.floor(offset / CHUNK_SIZE) + 1) * CHUNK_SIZE;
    if (offset + length > chunkEnd) {
      if (chunkEnd > offset) this.release(offset, chunkEnd - offset, false);
      offset = chunkEnd;
    }
    if (offset + length > MAX_CHUNKS * CHUNK_SIZE) return -12;
    // The file grows a chunk at a time; its pages cost nothing until touched.
    const newSize = Math.ceil((offset + length) / CHUNK_SIZE) * CHUNK_SIZE;
    if (newSize > this.size) {
      const r = ftruncate(this.fd, newSize);
      if (r < 0) return r;
      this.size = newSize;
    }
    this.top = offset + length;
    return offset;
  }

  /** Returns pages to the allocator; their contents are discarded. */
  release(offset: number, length: number, punch = true): void {
    if (length <= 0) return;
    if (punch) fallocate(this.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
    const free = this.free;
    let i = 0;
    while (i < free.length && free[i].offset < offset) i++;
    free.splice(i, 0, { offset, length });
    // Coalesce with neighbours within one chunk.
    const merge = (a: number): void => {
      const x = free[a], y = free[a + 1];
      if (x && y && x.offset + x.length === y.offset && Math.floor(x.offset / CHUNK_SIZE) === Math.floor(y.offset / CHUNK_SIZE)) {
        x.length += y.length; free.splice(a + 1, 1);
      }
    };
    merge(i); if (i > 0) merge(i - 1);
  }

  /**
   * Copies length bytes between offsets (fork's eager copy) into a range that
   * reads as zero. Only pages that hold data are copied: SEEK_DATA/SEEK_HOLE
   * skip the holes, so an 8 MiB stack of which 20 KiB was touched costs
   * 20 KiB, not 8 MiB of page faults on both sides.
   */
  copy(from: number, to: number, length: number): void {
    const end = from + length;
    let pos = from;
    while (pos < end) {
      const data = seekSparse(this.fd, pos, SEEK_DATA);
      if (data < 0 || data >= end) return;
      let hole = seekSparse(this.fd, data, SEEK_HOLE);
      if (hole < 0 || hole > end) hole = end;
      let done = 0;
      while (done < hole - data) {
        const r = copyFileRange(this.fd, data + done, this.fd, to + (data - from) + done, hole - data - done);
        if (r <= 0) {
          // The kernel refused (old kernel, or none left): copy through our mapping.
          const n = hole - data - done;
          this.bytesAt(to + (data - from) + done, n).set(this.bytesAt(data + done, n));
          break;
        }
        done += r;
      }
      pos = hole;
    }
  }

  /**
   * Copies up to length bytes of host fd from fdOffset to [offset, ...) in
   * the kernel (sendfile), without faulting the pages in through our views.
   * Returns bytes copied (0 at the fd's end) or -errno.
   */
  fillFromFd(offset: number, fd: number, fdOffset: number, length: number): number {
    return sendfileAt(this.fd, offset, fd, fdOffset, Math.min(length, 1 << 30));
  }

  /** Zeroes [offset, offset+length) by dropping the pages. */
  zero(offset: number, length: number): void {
    const pageStart = Math.ceil(offset / PAGE_SIZE) * PAGE_SIZE;
    const pageEnd = Math.floor((offset + length) / PAGE_SIZE) * PAGE_SIZE;
    if (pageEnd > pageStart) fallocate(this.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, pageStart, pageEnd - pageStart);
    if (pageStart > offset) this.bytesAt(offset, Math.min(length, pageStart - offset)).fill(0);
    if (pageEnd >= pageStart && offset + length > pageEnd) this.bytesAt(pageEnd, offset + length - pageEnd).fill(0);
  }

  /** Marks in out[i] (1 or 0) whether page i of [offset, offset + out.length pages) has data: mincore. */
  dataPages(offset: number, out: Uint8Array): void {
    out.fill(0);
    const end = offset + out.length * PAGE_SIZE;
    let pos = offset;
    while (pos < end) {
      const data = seekSparse(this.fd, pos, SEEK_DATA);
      if (data < 0 || data >= end) return;
      let hole = seekSparse(this.fd, data, SEEK_HOLE);
      if (hole < 0 || hole > end) hole = end;
      out.fill(1, Math.floor((data - offset) / PAGE_SIZE), Math.ceil((hole - offset) / PAGE_SIZE));
      pos = hole;
    }
  }

  private mapChunk(index: number): void {
    const ab = mapShared(this.fd, index * CHUNK_SIZE, CHUNK_SIZE);
    if (typeof ab === 'number') throw new Error(`mmap of MemoryFile chunk ${index}: errno ${-ab}`);
    this.chunks[index] = new Uint8Array(ab);
    this.views[index] = new DataView(ab);
  }

  /** The chunk holding offset, and the offset within it. */
  chunkOf(offset: number): Uint8Array {
    const index = Math.floor(offset / CHUNK_SIZE);
    if (!this.chunks[index]) this.mapChunk(index);
    return this.chunks[index];
  }
  viewOf(offset: number): DataView {
    const index = Math.floor(offset / CHUNK_SIZE);
    if (!this.views[index]) this.mapChunk(index);
    return this.views[index];
  }

  /** A view of [offset, offset+length); the range must not straddle a chunk. */
  bytesAt(offset: number, length: number): Uint8Array {
    const within = offset % CHUNK_SIZE;
    return this.chunkOf(offset).subarray(within, within + length);
  }
}
