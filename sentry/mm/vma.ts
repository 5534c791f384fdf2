// A virtual memory area: a page-aligned range with one protection and one
// backing. Every byte of a backed VMA is a MemoryFile byte at
// `backing + (addr - start)`.
import type { MemoryFile } from './memory-file.js';

/** What a file-backed mapping needs from the file: its bytes. */
export interface MappableFile {
  /** Reads file bytes at offset into dst; returns bytes read or -errno. */
  readInto(offset: number, dst: Uint8Array): number;
  /**
   * A host fd whose pread(2) gives exactly what readInto would, or -1: a
   * private mapping then copies with sendfile(2) (no page faults in the
   * Sentry's view of the MemoryFile).
   */
  hostReadFd?(): number;
  /** The path shown in /proc/self/maps. */
  readonly mappingName: string;
  /**
   * The file's own pages for [offset, offset+length), for MAP_SHARED: in
   * file order, covering the range, each piece already counted once for the
   * caller (the mapping). A file without it is mapped shared as a copy.
   */
  sharePages?(mf: MemoryFile, offset: number, length: number): SharedPiece[] | number;
}

/** A run of file pages in one SharedBacking. */
export interface SharedPiece { fileOffset: number; length: number; memOffset: number; backing: SharedBacking }

/** Who keeps a SharedBacking besides its mappings: a file's page store. */
export interface SharedOwner {
  /** A mapping of b went away (munmap, exit, exec); a cached file writes back. */
  unmapped(b: SharedBacking): void;
  /** msync(2) of MemoryFile bytes [memOffset, memOffset+length) in b; 0 or -errno. */
  sync(b: SharedBacking, memOffset: number, length: number): number;
}

/**
 * Pages counted by the VMAs (in any address space) that map them, and by
 * their owner (a file) if they have one; they go back to the MemoryFile
 * when the count reaches zero.
 */
export interface SharedBacking { offset: number; length: number; refs: number; owner?: SharedOwner }

/** What fork does with a VMA besides copying (or sharing) it: leave it out, or give the child zeros. */
export type ForkFlag = 'dontFork' | 'wipeOnFork';

export class Vma {
  /** For shared mappings: the allocation and its users. */
  sharedRefs: SharedBacking = { offset: -1, length: 0, refs: 0 };
  /** MADV_DONTFORK: the child does not get this VMA. */
  dontFork = false;
  /** MADV_WIPEONFORK: the child's pages start zeroed. */
  wipeOnFork = false;
  /**
   * For a private file mapping: the address of the first page that lay
   * wholly past the end of the file when last looked at (it may be below
   * `start` in a piece split off later), Infinity for every other VMA. The
   * platform maps the pages from there on PROT_NONE and copy-in/copy-out
   * treats them as unmapped, so an access is a fault that becomes SIGBUS.
   */
  pastEof = Infinity;

  constructor(
    public start: number,
    public end: number,
    public prot: number,
    /** MemoryFile offset of `start`, or -1 while nothing backs it (PROT_NONE). */
    public backing: number,
    public readonly shared: boolean,
    public readonly file: MappableFile | null,
    /** File offset of `start`, for file mappings. */
    public fileOffset: number,
    /** Name for /proc/self/maps: "[heap]", "[stack]", or "". */
    public readonly label: string,
  ) {}

  get length(): number { return this.end - this.start; }

  /** Where the application may reach: the end, or the first page past the end of the file. */
  get reachableEnd(): number { return this.pastEof < this.end ? Math.max(this.start, this.pastEof) : this.end; }

  /** A copy covering [start, end) of this one. */
  slice(start: number, end: number): Vma {
    const delta = start - this.start;
    const v = new Vma(start, end, this.prot, this.backing < 0 ? -1 : this.backing + delta, this.shared, this.file,
      this.fileOffset + delta, this.label);
    v.sharedRefs = this.sharedRefs;
    v.dontFork = this.dontFork;
    v.wipeOnFork = this.wipeOnFork;
    v.pastEof = this.pastEof;
    return v;
  }
}
