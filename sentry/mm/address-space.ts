// An application address space: the VMAs, brk, mmap placement, and
// copy-in/copy-out through the MemoryFile. Every change is mirrored into the
// platform's address space (for ptrace: injected calls in the stub).
import { E } from '../../abi/linux/errno.js';
import {
  MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_SHARED, MAP_TYPE, MAP_SHARED_VALIDATE, MAP_PRIVATE,
  MREMAP_FIXED, MREMAP_MAYMOVE, PAGE_SIZE, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE, pageRoundUp, MAP_32BIT,
  MAP_GROWSDOWN,
} from '../../abi/linux/mman.js';
import type { AddressSpaceBackend } from '../../platform/platform.js';
import { CHUNK_SIZE, MemoryFile } from './memory-file.js';
import { RangeSet } from './range-set.js';
import { Vma, type ForkFlag, type MappableFile, type SharedBacking } from './vma.js';

/** On x86 every accessible page is readable: PROT_WRITE and PROT_EXEC imply PROT_READ. */
const READABLE = PROT_READ | PROT_WRITE | PROT_EXEC;

/** The lowest address a mapping may take (vm.mmap_min_addr). */
export const MIN_ADDR = 0x10000;

export interface MmapRequest {
  addr: number;
  length: number;
  prot: number;
  flags: number;
  file?: MappableFile | null;
  offset?: number;
  label?: string;
}

export class AddressSpace {
  /** Sorted, non-overlapping. */
  private vmas: Vma[] = [];
  private lastHit: Vma | null = null;
  brkStart = 0;
  brkEnd = 0;
  /** Top of the area where mmap places mappings, top-down. */
  mmapTop: number;
  /** Tasks using this address space (threads, vfork children). */
  users = 1;
  /** The mlock(2)ed ranges; not inherited by fork, gone with exec. */
  readonly locked = new RangeSet();
  /** mlockall(MCL_FUTURE): new mappings are locked too. */
  lockFuture = false;
  /** membarrier(2) registrations (MEMBARRIER_CMD_REGISTER_* bits) of this process. */
  membarrierRegistered = 0;

  constructor(
    readonly memoryFile: MemoryFile,
    readonly backend: AddressSpaceBackend,
    /** The first address above the application's space (the stub lives there). */
    readonly limit: number,
  ) {
    this.mmapTop = limit - 0x1_0000_0000;
  }

  // ---- Lookup ----

  /** The VMA containing addr, or null. */
  find(addr: number): Vma | null {
    const hit = this.lastHit;
    if (hit !== null && addr >= hit.start && addr < hit.end) return hit;
    const vmas = this.vmas;
    let lo = 0, hi = vmas.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = vmas[mid];
      if (addr < v.start) hi = mid - 1;
      else if (addr >= v.end) lo = mid + 1;
      else { this.lastHit = v; return v; }
    }
    return null;
  }

  /** The VMAs in order, for /proc/self/maps and fork. */
  mappings(): readonly Vma[] { return this.vmas; }

  private isFree(start: number, end: number): boolean {
    if (start < MIN_ADDR || end > this.limit || end <= start) return false;
    for (const v of this.vmas) if (v.start < end && start < v.end) return false;
    return true;
  }

  /** A free range of length, top-down from mmapTop. Returns address or -ENOMEM. */
  private findFree(length: number, below = this.mmapTop): number {
    let end = below;
    for (let i = this.vmas.length - 1; i >= -1; i--) {
      const v = i >= 0 ? this.vmas[i] : null;
      if (v !== null && v.start >= end) continue;
      const floor = v === null ? MIN_ADDR : v.end;
      if (end - floor >= length) return end - length;
      if (v !== null) end = Math.min(end, v.start);
    }
    return -E.ENOMEM;
  }

  // ---- Changing the map ----

  private insert(vma: Vma): void {
    let i = 0;
    while (i < this.vmas.length && this.vmas[i].start < vma.start) i++;
    this.vmas.splice(i, 0, vma);
  }

  /**
   * Backs vma with pages and maps it in the platform: fresh pages (with a
   * copy of the file's bytes for a private file mapping), or the file's own
   * pages for a shared mapping of a file that has them, which may make it
   * several VMAs. Returns the VMAs to insert, or -errno with nothing mapped.
   */
  private populate(vma: Vma): Vma[] | number {
    if (vma.prot === PROT_NONE) return [vma];
    if (vma.length > CHUNK_SIZE) return -E.ENOMEM;
    if (vma.shared && vma.file?.sharePages !== undefined) return this.populateFromFile(vma, vma.file.sharePages.bind(vma.file));
    const offset = this.memoryFile.allocate(vma.length);
    if (offset < 0) return offset;
    vma.backing = offset;
    if (vma.shared) vma.sharedRefs = { offset, length: vma.length, refs: 1 };
    if (vma.file !== null) {
      const r = readFile(vma.file, vma.fileOffset, this.memoryFile, offset, vma.length);
      if (r < 0) { this.memoryFile.release(offset, vma.length); vma.backing = -1; return r; }
      // Linux maps no page wholly past the end of the file: an access there is SIGBUS.
      if (!vma.shared && r < vma.length) vma.pastEof = vma.start + pageRoundUp(r);
    }
    const r = mapInPlatform(this.backend, vma);
    if (r < 0) { this.memoryFile.release(offset, vma.length); vma.backing = -1; return r; }
    return [vma];
  }

  private populateFromFile(vma: Vma, share: NonNullable<MappableFile['sharePages']>): Vma[] | number {
    const pieces = share(this.memoryFile, vma.fileOffset, vma.length);
    if (typeof pieces === 'number') return pieces;
    const out: Vma[] = [];
    let err = 0;
    for (const p of pieces) {
      const start = vma.start + (p.fileOffset - vma.fileOffset);
      const v = vma.slice(start, start + p.length);
      v.backing = p.memOffset;
      v.sharedRefs = p.backing;
      out.push(v);
      if (err === 0) {
        const r = this.backend.map(v.start, v.length, v.prot, v.backing);
        if (r < 0) err = r;
      }
    }
    if (err === 0) return out;
    for (const v of out) this.adjustShared(v, -1);
    this.backend.unmap(vma.start, vma.length);
    return err;
  }

  /**
   * A shared mapping's pages are counted by the VMA pieces (in any address
   * space) that map them, and go back only when the last piece is gone.
   */
  private adjustShared(v: Vma, delta: number): void {
    const ref = v.sharedRefs;
    ref.refs += delta;
    if (ref.refs === 0) this.memoryFile.release(ref.offset, ref.length);
    else if (delta < 0) ref.owner?.unmapped(ref);
  }

  /** Removes [start, end) from the map, releasing its pages. */
  private removeRange(start: number, end: number): void {
    const kept: Vma[] = [];
    let touched = false;
    for (const v of this.vmas) {
      if (v.end <= start || v.start >= end) { kept.push(v); continue; }
      touched = true;
      const before = kept.length;
      if (v.start < start) kept.push(v.slice(v.start, start));
      if (v.end > end) kept.push(v.slice(end, v.end));
      const pieces = kept.length - before;
      if (v.backing >= 0) {
        if (v.shared) this.adjustShared(v, pieces - 1);
        else this.memoryFile.release(v.backing + (Math.max(v.start, start) - v.start), Math.min(v.end, end) - Math.max(v.start, start));
      }
    }
    if (touched) { this.vmas = kept; this.lastHit = null; this.backend.unmap(start, end - start); }
    this.locked.remove(start, end);
  }

  mmap(req: MmapRequest): number {
    const { prot, flags } = req;
    const length = pageRoundUp(req.length);
    const offset = req.offset ?? 0;
    if (req.length <= 0 || length > this.limit) return -E.EINVAL;
    if (offset % PAGE_SIZE !== 0) return -E.EINVAL;
    const type = flags & MAP_TYPE;
    if (type !== MAP_SHARED && type !== MAP_PRIVATE && type !== MAP_SHARED_VALIDATE) return -E.EINVAL;
    if ((flags & MAP_ANONYMOUS) === 0 && !req.file) return -E.EBADF;
    let addr = req.addr;
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
      if (addr % PAGE_SIZE !== 0) return -E.EINVAL;
      if (addr < MIN_ADDR || addr + length > this.limit) return -E.EPERM;
      if ((flags & MAP_FIXED_NOREPLACE) && !this.isFree(addr, addr + length)) return -E.EEXIST;
      this.removeRange(addr, addr + length);
    } else {
      addr = addr - (addr % PAGE_SIZE);
      if (addr === 0 || !this.isFree(addr, addr + length)) {
        addr = this.findFree(length, flags & MAP_32BIT ? 0x8000_0000 : this.mmapTop);
        if (addr < 0) return addr;
      }
    }
    const label = req.label ?? (flags & MAP_GROWSDOWN ? '[stack]' : '');
    const whole = new Vma(addr, addr + length, prot & (PROT_READ | PROT_WRITE | PROT_EXEC), -1, type !== MAP_PRIVATE,
      (flags & MAP_ANONYMOUS) ? null : req.file ?? null, offset, label);
    // Backing is contiguous within one MemoryFile chunk: a larger mapping is
    // several adjacent VMAs, each with its own backing.
    for (let start = addr; start < addr + length; start += CHUNK_SIZE) {
      const piece = whole.slice(start, Math.min(start + CHUNK_SIZE, addr + length));
      const r = this.populate(piece);
      if (typeof r === 'number') { this.removeRange(addr, start); return r; }
      for (const v of r) this.insert(v);
    }
    if (this.lockFuture) this.locked.add(addr, addr + length);
    return addr;
  }

  munmap(addr: number, length: number): number {
    if (addr % PAGE_SIZE !== 0 || length <= 0) return -E.EINVAL;
    const end = addr + pageRoundUp(length);
    if (end > this.limit + 0x1000_0000_0000) return -E.EINVAL;
    this.removeRange(addr, Math.min(end, this.limit));
    return 0;
  }

  /**
   * Maps pages that already exist (a SysV shared memory segment) at addr,
   * replacing what is there, or where mmap would place them when addr is 0.
   * The mapping is MAP_SHARED and counts as one more user of `backing`.
   * Precondition: backing lies within one MemoryFile chunk.
   */
  mapExisting(addr: number, prot: number, backing: SharedBacking, file: MappableFile): number {
    const length = backing.length;
    if (addr === 0) {
      addr = this.findFree(length);
      if (addr < 0) return addr;
    } else {
      if (addr % PAGE_SIZE !== 0 || addr < MIN_ADDR || addr + length > this.limit) return -E.EINVAL;
      this.removeRange(addr, addr + length);
    }
    const vma = new Vma(addr, addr + length, prot & (PROT_READ | PROT_WRITE | PROT_EXEC), backing.offset, true, file, 0, '');
    vma.sharedRefs = backing;
    backing.refs++;
    this.insert(vma);
    this.lastHit = null;
    const r = this.backend.map(addr, length, vma.prot, backing.offset);
    if (r < 0) { this.removeRange(addr, addr + length); return r; }
    return addr;
  }

  /**
   * mprotect(2) as Linux does it: the VMAs from addr on change one by one
   * until the range ends or a hole stops it; a hole (or an unmapped addr)
   * is ENOMEM, with the VMAs before it already changed.
   */
  mprotect(addr: number, length: number, prot: number): number {
    if (addr % PAGE_SIZE !== 0) return -E.EINVAL;
    if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | 0x03000000)) return -E.EINVAL;
    prot &= PROT_READ | PROT_WRITE | PROT_EXEC;
    const end = addr + pageRoundUp(length);
    if (length === 0) return 0;
    // The mapped run from addr on, up to the first hole.
    let cursor = addr;
    for (const v of this.vmas) {
      if (v.end <= cursor || v.start >= end) continue;
      if (v.start > cursor) break;
      cursor = v.end;
    }
    const stop = Math.min(cursor, end);
    const r = stop > addr ? this.protectRange(addr, stop, prot) : 0;
    if (r < 0) return r;
    return stop < end ? -E.ENOMEM : 0;
  }

  /** Sets prot on [addr, end), which is wholly mapped. */
  private protectRange(addr: number, end: number, prot: number): number {
    const next: Vma[] = [];
    let err = 0;
    for (const v of this.vmas) {
      if (err < 0 || v.end <= addr || v.start >= end || v.prot === prot) { next.push(v); continue; }
      if (v.shared && v.backing >= 0) v.sharedRefs.refs += (v.start < addr ? 1 : 0) + (v.end > end ? 1 : 0);
      if (v.start < addr) next.push(v.slice(v.start, addr));
      const mid = v.slice(Math.max(v.start, addr), Math.min(v.end, end));
      mid.prot = prot;
      if (mid.backing < 0) {
        for (let start = mid.start; start < mid.end; start += CHUNK_SIZE) {
          const piece = mid.slice(start, Math.min(start + CHUNK_SIZE, mid.end));
          const r = this.populate(piece);
          if (typeof r === 'number') {
            // The rest stays as it was: PROT_NONE, unbacked.
            err = r;
            next.push(v.slice(start, Math.min(v.end, end)));
            break;
          }
          next.push(...r);
        }
      } else {
        // Pages past the end of the file stay PROT_NONE in the platform.
        const reach = mid.reachableEnd;
        if (reach > mid.start) this.backend.protect(mid.start, reach - mid.start, prot);
        next.push(mid);
      }
      if (v.end > end) next.push(v.slice(end, v.end));
    }
    this.vmas = next;
    this.lastHit = null;
    return err;
  }

  /** brk(2): returns the new break, or the old one on failure, as Linux does. */
  brk(addr: number): number {
    if (addr < this.brkStart) return this.brkEnd;
    const oldTop = pageRoundUp(this.brkEnd), newTop = pageRoundUp(addr);
    if (newTop > oldTop) {
      if (!this.isFree(oldTop, newTop)) return this.brkEnd;
      const r = this.mmap({ addr: oldTop, length: newTop - oldTop, prot: PROT_READ | PROT_WRITE,
        flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, label: '[heap]' });
      if (r < 0) return this.brkEnd;
    } else if (newTop < oldTop) {
      this.removeRange(newTop, oldTop);
    }
    this.brkEnd = addr;
    return addr;
  }

  mremap(oldAddr: number, oldLength: number, newLength: number, flags: number, newAddr: number): number {
    if (oldAddr % PAGE_SIZE !== 0 || newLength === 0) return -E.EINVAL;
    if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | 4)) return -E.EINVAL;
    if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) return -E.EINVAL;
    const oldLen = pageRoundUp(oldLength), newLen = pageRoundUp(newLength);
    const vma = this.find(oldAddr);
    if (vma === null || oldAddr + oldLen > this.mappingEnd(vma)) return -E.EFAULT;
    if (!(flags & MREMAP_FIXED)) {
      if (newLen <= oldLen) {
        if (newLen < oldLen) this.removeRange(oldAddr + newLen, oldAddr + oldLen);
        return oldAddr;
      }
      // Grow in place when the pages after it are free and the whole VMA is remapped.
      if (vma.start === oldAddr && vma.end === oldAddr + oldLen && this.isFree(vma.end, oldAddr + newLen) && vma.backing >= 0 && !vma.shared) {
        const grown = this.regrow(vma, newLen);
        if (grown === 0) return oldAddr;
      }
      if (!(flags & MREMAP_MAYMOVE)) return -E.ENOMEM;
    }
    // Move: a fresh mapping with a copy of the bytes.
    const target = this.mmap({ addr: flags & MREMAP_FIXED ? newAddr : 0, length: newLen, prot: vma.prot,
      flags: (vma.shared ? MAP_SHARED : MAP_PRIVATE) | (vma.file ? 0 : MAP_ANONYMOUS) | (flags & MREMAP_FIXED ? MAP_FIXED : 0),
      file: vma.file, offset: vma.fileOffset + (oldAddr - vma.start), label: vma.label });
    if (target < 0) return target;
    const src = this.find(oldAddr)!;
    const dst = this.find(target)!;
    // A shared file mapping moved maps the file's same pages: nothing to copy.
    const samePages = vma.shared && vma.file?.sharePages !== undefined;
    if (!samePages && src.backing >= 0 && dst.backing >= 0) {
      const n = Math.min(oldLen, newLen);
      const from = this.memoryFile.bytesAt(src.backing + (oldAddr - src.start), n);
      this.memoryFile.bytesAt(dst.backing, n).set(from);
    }
    this.removeRange(oldAddr, oldAddr + oldLen);
    return target;
  }

  /**
   * Where the mapping vma belongs to ends: a shared file mapping is one VMA
   * per run of the file's pages, and Linux's one VMA for it is what
   * mremap works on.
   */
  private mappingEnd(vma: Vma): number {
    let end = vma.end;
    if (!vma.shared || vma.file === null) return end;
    for (let v = this.find(end); v !== null && v.file === vma.file && v.shared && v.prot === vma.prot &&
      v.fileOffset === vma.fileOffset + (v.start - vma.start); v = this.find(end)) end = v.end;
    return end;
  }

  /**
   * Grows a whole VMA in place by moving its backing to a larger extent; a
   * file mapping's new pages hold the file's bytes (or lie past its end).
   */
  private regrow(vma: Vma, newLen: number): number {
    if (newLen > CHUNK_SIZE) return -E.ENOMEM;
    const offset = this.memoryFile.allocate(newLen);
    if (offset < 0) return offset;
    const added = newLen - vma.length;
    if (vma.file !== null && vma.pastEof === Infinity) {
      const r = readFile(vma.file, vma.fileOffset + vma.length, this.memoryFile, offset + vma.length, added);
      if (r < 0) { this.memoryFile.release(offset, newLen); return r; }
      if (r < added) vma.pastEof = vma.end + pageRoundUp(r);
    }
    this.memoryFile.bytesAt(offset, vma.length).set(this.memoryFile.bytesAt(vma.backing, vma.length));
    this.memoryFile.release(vma.backing, vma.length);
    vma.backing = offset;
    vma.end = vma.start + newLen;
    return mapInPlatform(this.backend, vma);
  }

  /** MADV_DONTNEED on private anonymous memory: the pages read as zero again. */
  discard(addr: number, length: number): number {
    const end = addr + pageRoundUp(length);
    for (const v of this.vmas) {
      if (v.end <= addr || v.start >= end || v.backing < 0 || v.shared) continue;
      const s = Math.max(v.start, addr), e = Math.min(v.end, end);
      this.memoryFile.zero(v.backing + (s - v.start), e - s);
      if (v.file !== null) {
        // A private file page drops back to the file's contents.
        const tmp = this.memoryFile.bytesAt(v.backing + (s - v.start), e - s);
        v.file.readInto(v.fileOffset + (s - v.start), tmp);
      }
    }
    return 0;
  }

  /**
   * msync(2): each shared file mapping in [addr, end) writes back through
   * its file. ENOMEM if part of the range is unmapped (after syncing the
   * rest, as Linux does); a write-back error is returned as is.
   */
  sync(addr: number, end: number): number {
    let err = 0;
    let cursor = addr;
    for (const v of [...this.vmas]) {
      if (v.end <= addr || v.start >= end) continue;
      if (v.start > cursor) err = -E.ENOMEM;
      cursor = v.end;
      const owner = v.sharedRefs.owner;
      if (!v.shared || v.backing < 0 || owner === undefined) continue;
      const s = Math.max(v.start, addr), e = Math.min(v.end, end);
      const r = owner.sync(v.sharedRefs, v.backing + (s - v.start), e - s);
      if (r < 0 && err === 0) err = r;
    }
    if (cursor < end) err = -E.ENOMEM;
    return err;
  }

  /**
   * mincore(2): out[i] is 1 if page i from addr holds data (it was touched
   * since it was mapped or last dropped), 0 if not. Returns how many pages
   * are mapped from addr on (fewer than out.length at a hole).
   */
  resident(addr: number, out: Uint8Array): number {
    let done = 0;
    while (done < out.length) {
      const a = addr + done * PAGE_SIZE;
      const v = this.find(a);
      if (v === null) break;
      const n = Math.min(out.length - done, (v.end - a) / PAGE_SIZE);
      const part = out.subarray(done, done + n);
      if (v.backing < 0) part.fill(0); else this.memoryFile.dataPages(v.backing + (a - v.start), part);
      done += n;
    }
    return done;
  }

  /**
   * MADV_REMOVE: the shared pages of [addr, end) are dropped, as a hole
   * punched in the file (a file mapping's owner does the punching, through
   * punchFile); anonymous shared pages read as zeros again.
   */
  removePages(addr: number, end: number, punchFile: (v: Vma, fileOffset: number, length: number) => number): number {
    for (const v of this.vmas) {
      if (v.end <= addr || v.start >= end || !v.shared) continue;
      const s = Math.max(v.start, addr), e = Math.min(v.end, end);
      if (v.file !== null) {
        const r = punchFile(v, v.fileOffset + (s - v.start), e - s);
        if (r < 0) return r;
      } else if (v.backing >= 0) {
        this.memoryFile.zero(v.backing + (s - v.start), e - s);
      }
    }
    return 0;
  }

  /**
   * Sets what fork does with the mapped parts of [addr, end) (MADV_DONTFORK,
   * MADV_WIPEONFORK and their undoing), splitting VMAs at the edges.
   * Returns -EINVAL, with the VMAs before it changed, at the first VMA that
   * cannot take it (wiping is for private anonymous memory only).
   */
  setForkFlag(addr: number, end: number, flag: ForkFlag, value: boolean): number {
    const next: Vma[] = [];
    let err = 0;
    for (const v of this.vmas) {
      if (err < 0 || v.end <= addr || v.start >= end) { next.push(v); continue; }
      if (flag === 'wipeOnFork' && (v.shared || v.file !== null)) { err = -E.EINVAL; next.push(v); continue; }
      if (v[flag] === value) { next.push(v); continue; }
      if (v.shared && v.backing >= 0) v.sharedRefs.refs += (v.start < addr ? 1 : 0) + (v.end > end ? 1 : 0);
      if (v.start < addr) next.push(v.slice(v.start, addr));
      const mid = v.slice(Math.max(v.start, addr), Math.min(v.end, end));
      mid[flag] = value;
      next.push(mid);
      if (v.end > end) next.push(v.slice(end, v.end));
    }
    this.vmas = next;
    this.lastHit = null;
    return err;
  }

  /** Zeroes bytes whatever the protection: the loader's bss tail. */
  zeroForLoader(addr: number, length: number): void {
    const v = this.find(addr);
    if (v === null || v.backing < 0 || addr + length > v.end) return;
    this.memoryFile.bytesAt(v.backing + (addr - v.start), length).fill(0);
  }

  /**
   * The platform reported an access fault at addr. When addr is in a page
   * kept PROT_NONE because it lay past the end of its file, and the VMA is
   * accessible, the file is looked at again: the pages it now reaches are
   * filled and mapped ('retry': run the access again); a page still past
   * the end is 'sigbus' (Linux's SIGBUS, BUS_ADRERR). null for any other
   * fault. As on x86 Linux, a page that is not there is checked for read
   * access only, so an instruction fetch is a read; but the platform does
   * not say whether a data access was a write, so a write to a read-only
   * mapping there is SIGBUS too (Linux: SIGSEGV, SEGV_ACCERR).
   */
  faultPastEof(addr: number): 'sigbus' | 'retry' | null {
    const v = this.find(addr);
    if (v === null || v.file === null || v.backing < 0 || addr < v.reachableEnd || (v.prot & READABLE) === 0) return null;
    const from = v.reachableEnd;
    const got = readFile(v.file, v.fileOffset + (from - v.start), this.memoryFile, v.backing + (from - v.start), v.end - from);
    if (got <= 0) return 'sigbus';
    const reach = Math.min(v.end, from + pageRoundUp(got));
    v.pastEof = reach === v.end ? Infinity : reach;
    const r = this.backend.protect(from, reach - from, v.prot);
    if (r < 0) return 'sigbus';
    return addr < reach ? 'retry' : 'sigbus';
  }

  /** The futex key of addr: the MemoryFile offset of its word, or -EFAULT. */
  futexKey(addr: number): number {
    const v = this.find(addr);
    if (v === null || v.backing < 0) return -E.EFAULT;
    return v.backing + (addr - v.start);
  }

  /**
   * A copy for a forked child, whose platform side is `backend` (fresh and
   * empty): private memory is copied now, shared memory is shared.
   */
  fork(backend: AddressSpaceBackend): AddressSpace | number {
    const child = new AddressSpace(this.memoryFile, backend, this.limit);
    child.brkStart = this.brkStart;
    child.brkEnd = this.brkEnd;
    child.mmapTop = this.mmapTop;
    // membarrier registrations go with the memory (mlock's do not).
    child.membarrierRegistered = this.membarrierRegistered;
    for (const v of this.vmas) {
      if (v.dontFork) continue;
      const c = v.slice(v.start, v.end);
      if (v.backing >= 0) {
        if (v.shared) {
          v.sharedRefs.refs++;
          c.sharedRefs = v.sharedRefs;
        } else {
          const offset = this.memoryFile.allocate(v.length);
          if (offset < 0) { child.clear(); return offset; }
          // MADV_WIPEONFORK: the child's pages start zeroed.
          if (!v.wipeOnFork) this.memoryFile.copy(v.backing, offset, v.length);
          c.backing = offset;
        }
        child.vmas.push(c);
        const r = mapInPlatform(backend, c);
        if (r < 0) { child.clear(); return r; }
      } else {
        child.vmas.push(c);
      }
    }
    return child;
  }

  /** Drops every mapping (exec, exit). */
  clear(): void {
    for (const v of this.vmas) {
      if (v.backing < 0) continue;
      if (v.shared) this.adjustShared(v, -1); else this.memoryFile.release(v.backing, v.length);
    }
    this.vmas = [];
    this.lastHit = null;
    this.locked.clear();
    this.lockFuture = false;
    this.membarrierRegistered = 0;
  }

  /** Bytes mapped in all: mlockall(MCL_CURRENT)'s count against RLIMIT_MEMLOCK. */
  get totalMapped(): number {
    let n = 0;
    for (const v of this.vmas) n += v.length;
    return n;
  }

  // ---- Copy-in / copy-out ----

  /**
   * The MemoryFile bytes for [addr, addr+length) if they are one contiguous,
   * accessible piece; null otherwise (the caller falls back to copyIn/Out).
   */
  private piece(addr: number, length: number, need: number): Uint8Array | null {
    const v = this.find(addr);
    if (v === null || v.backing < 0 || (v.prot & need) === 0 || addr + length > v.reachableEnd) return null;
    return this.memoryFile.bytesAt(v.backing + (addr - v.start), length);
  }

  /** Copies application memory into dst. Returns bytes copied, or -EFAULT if none. */
  copyIn(addr: number, dst: Uint8Array): number {
    return this.copy(addr, dst, false);
  }

  /** Copies src into application memory. Returns bytes copied, or -EFAULT if none. */
  copyOut(addr: number, src: Uint8Array): number {
    return this.copy(addr, src, true);
  }

  private copy(addr: number, buf: Uint8Array, out: boolean): number {
    // On x86 every accessible page is readable: PROT_WRITE and PROT_EXEC imply PROT_READ.
    const need = out ? PROT_WRITE : READABLE;
    let done = 0;
    while (done < buf.length) {
      const a = addr + done;
      const v = this.find(a);
      if (v === null || v.backing < 0 || (v.prot & need) === 0) break;
      const reach = v.reachableEnd;
      if (a >= reach) break;
      const n = Math.min(buf.length - done, reach - a);
      const mem = this.memoryFile.bytesAt(v.backing + (a - v.start), n);
      if (out) mem.set(buf.subarray(done, done + n)); else buf.set(mem, done);
      done += n;
    }
    if (done === buf.length) return done;
    return done === 0 ? -E.EFAULT : done;
  }

  /** Copies in exactly dst.length bytes: 0, or -EFAULT on any short copy. */
  copyInFull(addr: number, dst: Uint8Array): number {
    return this.copy(addr, dst, false) === dst.length ? 0 : -E.EFAULT;
  }
  copyOutFull(addr: number, src: Uint8Array): number {
    return this.copy(addr, src, true) === src.length ? 0 : -E.EFAULT;
  }

  /** A writable view of application memory for a syscall to fill directly, or null. */
  writableView(addr: number, length: number): Uint8Array | null { return this.piece(addr, length, PROT_WRITE); }
  readableView(addr: number, length: number): Uint8Array | null { return this.piece(addr, length, READABLE); }

  private readonly scratch8 = new Uint8Array(8);
  private readonly scratchView = new DataView(this.scratch8.buffer);

  readU64(addr: number): number | null {
    if (this.copyInFull(addr, this.scratch8) < 0) return null;
    const lo = this.scratchView.getUint32(0, true), hi = this.scratchView.getUint32(4, true);
    return hi * 2 ** 32 + lo;
  }
  readU32(addr: number): number | null {
    if (this.copyInFull(addr, this.scratch8.subarray(0, 4)) < 0) return null;
    return this.scratchView.getUint32(0, true);
  }
  writeU64(addr: number, value: number | bigint): number {
    this.scratchView.setBigUint64(0, BigInt.asUintN(64, BigInt(value)), true);
    return this.copyOutFull(addr, this.scratch8);
  }
  writeU32(addr: number, value: number): number {
    this.scratchView.setUint32(0, value >>> 0, true);
    return this.copyOutFull(addr, this.scratch8.subarray(0, 4));
  }

  /** Reads a NUL-terminated string of at most max bytes. -EFAULT or -ENAMETOOLONG. */
  readCString(addr: number, max: number): string | number {
    let out = '';
    let a = addr;
    while (a - addr < max) {
      const v = this.find(a);
      if (v === null || v.backing < 0 || (v.prot & READABLE) === 0 || a >= v.reachableEnd) return -E.EFAULT;
      const n = Math.min(v.reachableEnd - a, max - (a - addr));
      const mem = this.memoryFile.bytesAt(v.backing + (a - v.start), n);
      const nul = mem.indexOf(0);
      if (nul >= 0) return out + bytesToString(mem.subarray(0, nul));
      out += bytesToString(mem);
      a += n;
    }
    return -E.ENAMETOOLONG;
  }
}

/**
 * Reads file bytes from fileOffset into MemoryFile [memOffset, memOffset+length)
 * until it is full or the file ends. Returns the bytes read, or -errno.
 */
function readFile(file: MappableFile, fileOffset: number, memoryFile: MemoryFile, memOffset: number, length: number): number {
  let done = 0;
  // Fresh MemoryFile pages cost a page fault each when pread fills them
  // through the Sentry's view (about 5 ms for libc's 2 MB here); sendfile
  // fills them inside the kernel (about 0.3 ms). Any failure falls back to
  // readInto for the rest.
  const fd = file.hostReadFd?.() ?? -1;
  if (fd >= 0) {
    while (done < length) {
      const r = memoryFile.fillFromFd(memOffset + done, fd, fileOffset + done, length - done);
      if (r <= 0) { if (r === 0) return done; break; }
      done += r;
    }
  }
  while (done < length) {
    const n = Math.min(length - done, 1 << 20);
    const r = file.readInto(fileOffset + done, memoryFile.bytesAt(memOffset + done, n));
    if (r < 0) return r;
    if (r === 0) break;
    done += r;
  }
  return done;
}

/**
 * Maps v in the platform. Pages from the first one past the end of its
 * file are mapped PROT_NONE, so that an access faults and the Sentry can
 * tell SIGBUS (faultPastEof).
 */
function mapInPlatform(backend: AddressSpaceBackend, v: Vma): number {
  const reach = v.reachableEnd;
  if (reach === v.end) return backend.map(v.start, v.length, v.prot, v.backing);
  if (reach > v.start) {
    const r = backend.map(v.start, reach - v.start, v.prot, v.backing);
    if (r < 0) return r;
  }
  return backend.map(reach, v.end - reach, PROT_NONE, v.backing + (reach - v.start));
}

/** Paths and names are byte strings: latin1 keeps every byte as one char. */
export function bytesToString(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}
export function stringToBytes(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}
