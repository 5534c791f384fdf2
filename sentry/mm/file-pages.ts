// A file's pages in the MemoryFile: the store behind MAP_SHARED file
// mappings. A file (tmpfs) or a file's cache (Gofer) keeps its bytes in
// extents of MemoryFile pages; a shared mapping maps those same pages, so a
// store through the mapping and read(2)/write(2) of the file meet in one
// place, in every address space.
//
// Each extent is one SharedBacking, counted once by the store and once by
// every VMA piece that maps it: pages the store drops while they are still
// mapped stay with the mappings until the last one goes.
import { PAGE_SIZE, pageRoundUp } from '../../abi/linux/mman.js';
import { E } from '../../abi/linux/errno.js';
import { CHUNK_SIZE, type MemoryFile } from './memory-file.js';
import type { SharedBacking, SharedOwner, SharedPiece } from './vma.js';

/** Page-aligned file bytes [fileStart, fileStart+length) live at mem.offset on. */
export interface FileExtent { fileStart: number; length: number; mem: SharedBacking }

/** The largest extent one allocation makes: big files become a few extents, not one huge one. */
const MAX_EXTENT = 64 * 1024 * 1024;

const pageDown = (n: number): number => n - (n % PAGE_SIZE);

/** Who pays for a store's pages: a file system with a size limit, or no one. */
export interface PageCharge {
  /** Grants up to `pages` pages; returns how many (0: none left). */
  take(pages: number): number;
  give(pages: number): void;
}

export const FREE_PAGES: PageCharge = { take: (pages) => pages, give: () => {} };

export class FilePages {
  /** Sorted by fileStart, non-overlapping. */
  readonly extents: FileExtent[] = [];

  constructor(readonly mf: MemoryFile, private readonly owner: SharedOwner | null) {}

  /** Pages the extents hold. */
  get pages(): number {
    let n = 0;
    for (const e of this.extents) n += e.length / PAGE_SIZE;
    return n;
  }

  /** Index of the first extent ending after offset. */
  private lower(offset: number): number {
    const xs = this.extents;
    let lo = 0, hi = xs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[mid].fileStart + xs[mid].length <= offset) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /** Calls fn for each part of [offset, offset+length) an extent holds, in order. */
  forEach(offset: number, length: number, fn: (e: FileExtent, memOffset: number, pos: number, n: number) => void): void {
    const end = offset + length;
    for (let i = this.lower(offset); i < this.extents.length; i++) {
      const e = this.extents[i];
      if (e.fileStart >= end) break;
      const s = Math.max(offset, e.fileStart), t = Math.min(end, e.fileStart + e.length);
      if (t > s) fn(e, e.mem.offset + (s - e.fileStart), s, t - s);
    }
  }

  /** Copies the bytes at offset into dst; parts no extent holds read as zeros. */
  read(offset: number, dst: Uint8Array): void {
    dst.fill(0);
    this.forEach(offset, dst.length, (_e, mem, pos, n) => {
      dst.set(this.mf.bytesAt(mem, n), pos - offset);
    });
  }

  /** Copies src into the parts of [offset, offset+src.length) that extents hold. */
  writeHeld(offset: number, src: Uint8Array): void {
    this.forEach(offset, src.length, (_e, mem, pos, n) => {
      this.mf.bytesAt(mem, n).set(src.subarray(pos - offset, pos - offset + n));
    });
  }

  /**
   * Makes extents for every page of [offset, offset+length) none holds, in
   * file order. charge.take(pages) grants up to that many pages (fewer when
   * the file system is nearly full; none is -ENOSPC); init(fileOffset,
   * bytes) fills a new extent (a cache reads the file). On failure the
   * extents made so far stay.
   */
  fill(offset: number, length: number, charge: PageCharge,
    init?: (fileOffset: number, bytes: Uint8Array) => number): number {
    const end = pageRoundUp(offset + length);
    let pos = pageDown(offset);
    while (pos < end) {
      const i = this.lower(pos);
      const next = this.extents[i];
      if (next !== undefined && next.fileStart <= pos) { pos = next.fileStart + next.length; continue; }
      const gapEnd = Math.min(end, next === undefined ? end : next.fileStart);
      const granted = charge.take(Math.min(gapEnd - pos, MAX_EXTENT) / PAGE_SIZE);
      if (granted <= 0) return -E.ENOSPC;
      const n = granted * PAGE_SIZE;
      const mem = this.mf.allocate(n);
      if (mem < 0) { charge.give(granted); return mem; }
      if (init !== undefined) {
        const r = init(pos, this.mf.bytesAt(mem, n));
        if (r < 0) { this.mf.release(mem, n); charge.give(granted); return r; }
      }
      const owner = this.owner;
      this.extents.splice(i, 0, { fileStart: pos, length: n, mem: owner === null ? { offset: mem, length: n, refs: 1 } : { offset: mem, length: n, refs: 1, owner } });
      pos += n;
    }
    return 0;
  }

  /** Pages of [offset, offset+length) that no extent holds. */
  missing(offset: number, length: number): number {
    const start = pageDown(offset), end = pageRoundUp(offset + length);
    let held = 0;
    this.forEach(start, end - start, (_e, _m, _p, n) => { held += n; });
    return (end - start - held) / PAGE_SIZE;
  }

  /** The pieces of [offset, offset+length) for a mapping, each counted for it. fill() must have made them. */
  share(offset: number, length: number): SharedPiece[] {
    const out: SharedPiece[] = [];
    this.forEach(offset, length, (e, memOffset, pos, n) => {
      if (n > CHUNK_SIZE) throw new Error('extent larger than a MemoryFile chunk');
      e.mem.refs++;
      out.push({ fileOffset: pos, length: n, memOffset, backing: e.mem });
    });
    return out;
  }

  /** Zeroes the held bytes of [start, end): whole pages are dropped (they read as zeros and cost nothing). */
  zero(start: number, end: number): void {
    if (end <= start) return;
    this.forEach(start, end - start, (_e, mem, _pos, n) => this.mf.zero(mem, n));
  }

  /**
   * Truncation: zeroes everything from byte `size` on, and gives back the
   * extents wholly past it that no mapping uses. Returns the pages given back.
   */
  truncate(size: number): number {
    const keepEnd = pageRoundUp(size);
    let freed = 0;
    const kept: FileExtent[] = [];
    for (const e of this.extents) {
      const eEnd = e.fileStart + e.length;
      if (eEnd <= size) { kept.push(e); continue; }
      if (e.fileStart >= keepEnd && e.mem.refs === 1) {
        this.drop(e);
        freed += e.length / PAGE_SIZE;
        continue;
      }
      const from = Math.max(size, e.fileStart);
      this.mf.zero(e.mem.offset + (from - e.fileStart), eEnd - from);
      kept.push(e);
    }
    this.extents.splice(0, this.extents.length, ...kept);
    return freed;
  }

  /** Drops the store's count of one extent; the pages go when no mapping has them either. */
  private drop(e: FileExtent): void {
    if (--e.mem.refs === 0) this.mf.release(e.mem.offset, e.mem.length);
  }

  /** Drops extent e (which no mapping uses) from the store. */
  remove(e: FileExtent): void {
    const i = this.extents.indexOf(e);
    if (i < 0) return;
    this.extents.splice(i, 1);
    this.drop(e);
  }

  /** Drops every extent (the file is gone). Returns the pages the store held. */
  clear(): number {
    const pages = this.pages;
    for (const e of this.extents) this.drop(e);
    this.extents.length = 0;
    return pages;
  }

  /** The extent whose memory is b, or undefined. */
  extentOf(b: SharedBacking): FileExtent | undefined {
    return this.extents.find((e) => e.mem === b);
  }
}
