// MAP_SHARED file mappings over tmpfs and the Gofer's cache, through
// AddressSpace with a platform that only records what it is asked: the
// mapping's bytes are the file's bytes, in both directions, across fork,
// and the MemoryFile gets its pages back.
import { describe, expect, it } from 'vitest';
import { E } from '../../abi/linux/errno.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE } from '../../abi/linux/falloc.js';
import { O_RDWR } from '../../abi/linux/fcntl.js';
import { MAP_PRIVATE, MAP_SHARED, PROT_NONE, PROT_READ, PROT_WRITE } from '../../abi/linux/mman.js';
import type { AddressSpaceBackend, PlatformThread } from '../../platform/platform.js';
import { GoferSharedCache, type CacheFile } from '../fsimpl/gofer/shared-cache.js';
import { newTmpfs } from '../fsimpl/tmpfs/tmpfs.js';
import type { TmpfsFile } from '../fsimpl/tmpfs/regular-file.js';
import { Harness, must } from '../vfs/test-harness.js';
import { AddressSpace } from './address-space.js';
import { MemoryFile } from './memory-file.js';
import type { MappableFile, SharedPiece } from './vma.js';

const PAGE = 4096;
const RW = PROT_READ | PROT_WRITE;

class FakeBackend implements AddressSpaceBackend {
  readonly maps: Array<[number, number, number]> = [];
  map(addr: number, len: number, _prot: number, offset: number): number { this.maps.push([addr, len, offset]); return 0; }
  unmap(): number { return 0; }
  protect(): number { return 0; }
  get mainThread(): PlatformThread { throw new Error('no thread'); }
  destroy(): void {}
}

const mf = new MemoryFile();
const newAs = (): AddressSpace => new AddressSpace(mf, new FakeBackend(), 0x7fff_0000_0000);
const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

function tmpfsFile(content: string, sizeLimit = 0): { h: Harness; f: TmpfsFile } {
  const h = new Harness(newTmpfs({ sizeLimit }));
  h.writeFile('/f', content);
  return { h, f: must(h.open('/f', O_RDWR)) as TmpfsFile };
}

function read(f: TmpfsFile, offset: number, n: number): string {
  const b = new Uint8Array(n);
  const got = f.read(b, offset);
  return text(b.subarray(0, Math.max(got, 0)));
}

describe('MAP_SHARED of a tmpfs file', () => {
  it('a store through the mapping is what read returns, and a write shows in the mapping', () => {
    const { f } = tmpfsFile('hello world');
    const as = newAs();
    const addr = as.mmap({ addr: 0, length: PAGE, prot: RW, flags: MAP_SHARED, file: f, offset: 0 });
    expect(addr).toBeGreaterThan(0);
    expect(as.copyOut(addr, Buffer.from('HELLO'))).toBe(5);
    expect(read(f, 0, 11)).toBe('HELLO world');
    expect(f.write(Buffer.from('WORLD'), 6)).toBe(5);
    const b = new Uint8Array(11);
    as.copyIn(addr, b);
    expect(text(b)).toBe('HELLO WORLD');
    as.clear();
  });

  it('two address spaces (and a fork) map the same pages', () => {
    const { f } = tmpfsFile('abc');
    const a = newAs(), b = newAs();
    const pa = a.mmap({ addr: 0, length: PAGE, prot: RW, flags: MAP_SHARED, file: f, offset: 0 });
    const pb = b.mmap({ addr: 0, length: PAGE, prot: RW, flags: MAP_SHARED, file: f, offset: 0 });
    a.copyOut(pa, Buffer.from('X'));
    const one = new Uint8Array(1);
    b.copyIn(pb, one);
    expect(text(one)).toBe('X');
    const child = a.fork(new FakeBackend());
    if (typeof child === 'number') throw new Error('fork');
    child.copyOut(pa + 1, Buffer.from('Y'));
    expect(read(f, 0, 3)).toBe('XYc');
    a.clear(); b.clear(); child.clear();
  });

  it('MAP_PRIVATE stays a copy', () => {
    const { f } = tmpfsFile('abc');
    const as = newAs();
    const p = as.mmap({ addr: 0, length: PAGE, prot: RW, flags: MAP_PRIVATE, file: f, offset: 0 });
    as.copyOut(p, Buffer.from('Z'));
    expect(read(f, 0, 3)).toBe('abc');
    as.clear();
  });

  it('keeps holes cheap: mapping a sparse range charges pages, not data', () => {
    const { h, f } = tmpfsFile('x');
    expect(f.truncate(64 * PAGE)).toBe(0);
    const as = newAs();
    const p = as.mmap({ addr: 0, length: 64 * PAGE, prot: RW, flags: MAP_SHARED, file: f, offset: 0 });
    as.copyOut(p + 40 * PAGE, Buffer.from('deep'));
    expect(read(f, 40 * PAGE, 4)).toBe('deep');
    const vec = new Uint8Array(64);
    expect(as.resident(p, vec)).toBe(64);
    // Only the pages that hold data take memory: the first (the file's 'x') and the one stored to.
    expect([...vec.keys()].filter((i) => vec[i] === 1)).toEqual([0, 40]);
    // Punching a hole drops the page in the mapping too.
    expect(f.allocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 40 * PAGE, PAGE)).toBe(0);
    const b = new Uint8Array(4);
    as.copyIn(p + 40 * PAGE, b);
    expect([...b]).toEqual([0, 0, 0, 0]);
    as.clear();
    expect(must(h.stat('/f')).size).toBe(64 * PAGE);
  });

  it('truncate zeroes what the mapping sees past the end; growing again shows zeros', () => {
    const { f } = tmpfsFile('abcdefgh');
    const as = newAs();
    const p = as.mmap({ addr: 0, length: PAGE, prot: RW, flags: MAP_SHARED, file: f, offset: 0 });
    expect(f.truncate(4)).toBe(0);
    const b = new Uint8Array(8);
    as.copyIn(p, b);
    expect(text(b.subarray(0, 4))).toBe('abcd');
    expect([...b.subarray(4)]).toEqual([0, 0, 0, 0]);
    as.copyOut(p + 5, Buffer.from('Q'));
    expect(f.truncate(8)).toBe(0);
    // The page past the old end is the file's page: what was stored there shows (Linux would have raised SIGBUS).
    expect(read(f, 4, 4)).toBe('\0Q\0\0');
    as.clear();
  });

  it('a write on a full file system is short, and mapping more than fits is ENOSPC', () => {
    const { f } = tmpfsFile('a', 2 * PAGE);
    const as = newAs();
    const p = as.mmap({ addr: 0, length: PAGE, prot: RW, flags: MAP_SHARED, file: f, offset: 0 });
    expect(p).toBeGreaterThan(0);
    expect(f.write(new Uint8Array(3 * PAGE), 0)).toBe(2 * PAGE);
    expect(as.mmap({ addr: 0, length: 4 * PAGE, prot: RW, flags: MAP_SHARED, file: f, offset: 0 })).toBe(-E.ENOSPC);
    as.clear();
  });

  it('gives the pages back when the file and the last mapping are gone', () => {
    const { h, f } = tmpfsFile('data');
    const as = newAs();
    const p = as.mmap({ addr: 0, length: PAGE, prot: RW, flags: MAP_SHARED, file: f, offset: 0 });
    const backing = as.find(p)!.sharedRefs;
    expect(backing.refs).toBe(2);
    f.decRef();
    expect(h.unlink('/f')).toBe(0);
    // The file is gone; the mapping keeps the pages.
    expect(backing.refs).toBe(1);
    const b = new Uint8Array(4);
    as.copyIn(p, b);
    expect(text(b)).toBe('data');
    as.munmap(p, PAGE);
    expect(backing.refs).toBe(0);
  });

  it('a PROT_NONE shared mapping gets the file pages when made accessible', () => {
    const { f } = tmpfsFile('xyz');
    const as = newAs();
    const p = as.mmap({ addr: 0, length: PAGE, prot: PROT_NONE, flags: MAP_SHARED, file: f, offset: 0 });
    expect(as.mprotect(p, PAGE, PROT_READ)).toBe(0);
    const b = new Uint8Array(3);
    as.copyIn(p, b);
    expect(text(b)).toBe('xyz');
    as.clear();
  });
});

/** A file in memory standing in for an open Gofer file; counts writes. */
class FakeGoferFile implements CacheFile, MappableFile {
  data = new Uint8Array(0);
  writes = 0;
  refs = 1;
  cache: GoferSharedCache | null = null;
  readonly mappingName = '/g';
  constructor(readonly writable: boolean, content: string) { this.data = new Uint8Array(Buffer.from(content)); }
  readInto(offset: number, dst: Uint8Array): number {
    const n = Math.max(0, Math.min(dst.length, this.data.length - offset));
    dst.set(this.data.subarray(offset, offset + n));
    return n;
  }
  write(src: Uint8Array, offset: number): number {
    this.writes++;
    if (offset + src.length > this.data.length) {
      const grown = new Uint8Array(offset + src.length);
      grown.set(this.data);
      this.data = grown;
    }
    this.data.set(src, offset);
    return src.length;
  }
  fileSize(): number { return this.data.length; }
  incRef(): void { this.refs++; }
  decRef(): void { this.refs--; }
  sharePages(m: MemoryFile, offset: number, length: number): SharedPiece[] | number {
    if (this.cache === null) this.cache = new GoferSharedCache(m, () => { this.cache = null; });
    return this.cache.share(this, offset, length);
  }
}

describe('MAP_SHARED through the Gofer cache', () => {
  it('writes back only what changed, on msync, and never past the end of the file', () => {
    const g = new FakeGoferFile(true, 'abcdefgh');
    const as = newAs();
    const p = as.mmap({ addr: 0, length: PAGE, prot: RW, flags: MAP_SHARED, file: g, offset: 0 });
    expect(as.sync(p, p + PAGE)).toBe(0);
    expect(g.writes).toBe(0);
    as.copyOut(p + 2, Buffer.from('C'));
    as.copyOut(p + 100, Buffer.from('past the end'));
    g.data[5] = 0x46; // The host file changes behind the mapping: that byte must survive.
    expect(as.sync(p, p + PAGE)).toBe(0);
    expect(text(g.data)).toBe('abCdeFgh');
    expect(g.writes).toBe(1);
    as.clear();
  });

  it('munmap and exit write back; the cache and its file reference go with the last mapping', () => {
    const g = new FakeGoferFile(true, 'abcdefgh');
    const as = newAs();
    const p = as.mmap({ addr: 0, length: PAGE, prot: RW, flags: MAP_SHARED, file: g, offset: 0 });
    expect(g.refs).toBe(2);
    const child = as.fork(new FakeBackend());
    if (typeof child === 'number') throw new Error('fork');
    child.copyOut(p, Buffer.from('Z'));
    as.munmap(p, PAGE);
    expect(text(g.data)).toBe('Zbcdefgh');
    child.copyOut(p + 1, Buffer.from('Y'));
    child.clear();
    expect(text(g.data)).toBe('ZYcdefgh');
    expect(g.cache).toBeNull();
    expect(g.refs).toBe(1);
  });

  it('write(2) reaches the cached pages, read(2) sees stores after a flush', () => {
    const g = new FakeGoferFile(true, 'abcdefgh');
    const as = newAs();
    const p = as.mmap({ addr: 0, length: PAGE, prot: RW, flags: MAP_SHARED, file: g, offset: 0 });
    const src = Buffer.from('WX');
    expect(g.write(src, 3)).toBe(2);
    g.cache!.wrote(3, src);
    const b = new Uint8Array(8);
    as.copyIn(p, b);
    expect(text(b)).toBe('abcWXfgh');
    as.copyOut(p + 7, Buffer.from('!'));
    expect(g.cache!.flush(0, 8)).toBe(0);
    expect(text(g.data)).toBe('abcWXfg!');
    as.clear();
  });
});
