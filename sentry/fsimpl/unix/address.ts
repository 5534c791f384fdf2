// AF_UNIX addresses: parsing a sockaddr_un as Linux's unix_validate_addr
// and unix_mkname_bsd do, and the abstract namespace (names that start
// with a NUL byte and live in no file system).
//
// Linux hashes an abstract name together with the socket type, so a stream
// and a datagram socket may hold the same abstract name, and a connect
// reaches only a socket of its own type (ECONNREFUSED otherwise, never
// EPROTOTYPE). The namespace here is keyed the same way.
import { E } from '../../../abi/linux/errno.js';
import { AF_UNIX, SOCKADDR_UN_SIZE, SUN_PATH_OFFSET } from '../../../abi/linux/socket.js';

/** A bound name as getsockname reports it: the sun_path bytes (the sockaddr minus its family). */
export interface UnixAddress {
  /** sun_path as reported: a path with its NUL, or NUL and the abstract name. */
  readonly path: Uint8Array;
  readonly abstract: boolean;
}

export type ParsedAddress =
  | { kind: 'path'; path: string; address: UnixAddress }
  | { kind: 'abstract'; key: string; address: UnixAddress };

/**
 * unix_validate_addr and the split into a file-system path or an abstract
 * name. raw is the sockaddr as the application passed it (addrlen bytes).
 */
export function parseUnixAddress(raw: Uint8Array): ParsedAddress | number {
  if (raw.length <= SUN_PATH_OFFSET || raw.length > SOCKADDR_UN_SIZE) return -E.EINVAL;
  if ((raw[0] | (raw[1] << 8)) !== AF_UNIX) return -E.EINVAL;
  const sunPath = raw.subarray(SUN_PATH_OFFSET);
  if (sunPath[0] === 0) {
    const path = sunPath.slice();
    return { kind: 'abstract', key: latin1(path), address: { path, abstract: true } };
  }
  // unix_mkname_bsd: the name ends at the first NUL, and is stored with one.
  let end = sunPath.indexOf(0);
  if (end < 0) end = sunPath.length;
  const path = new Uint8Array(end + 1);
  path.set(sunPath.subarray(0, end));
  return { kind: 'path', path: latin1(path.subarray(0, end)), address: { path, abstract: false } };
}

/** The sockaddr_un bytes getsockname/getpeername/accept/recvfrom report for an address (null: unnamed). */
export function encodeUnixAddress(addr: UnixAddress | null): Uint8Array {
  const out = new Uint8Array(SUN_PATH_OFFSET + (addr?.path.length ?? 0));
  out[0] = AF_UNIX;
  if (addr) out.set(addr.path, SUN_PATH_OFFSET);
  return out;
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

/** What the abstract namespace holds: anything with a type. */
interface Named { readonly type: number }

/** The abstract names of one sandbox (one network namespace). */
export class AbstractNamespace<T extends Named> {
  private readonly names = new Map<string, T>();
  /** Autobind's counter; Linux starts it at a random point too. */
  private order = Math.floor(Math.random() * 0x100000);

  private static keyOf(type: number, key: string): string { return `${type}:${key}`; }

  lookup(type: number, key: string): T | undefined { return this.names.get(AbstractNamespace.keyOf(type, key)); }

  /** Claims a name: -EADDRINUSE if a socket of that type holds it. */
  claim(holder: T, key: string): number {
    const k = AbstractNamespace.keyOf(holder.type, key);
    if (this.names.has(k)) return -E.EADDRINUSE;
    this.names.set(k, holder);
    return 0;
  }

  release(holder: T, key: string): void {
    const k = AbstractNamespace.keyOf(holder.type, key);
    if (this.names.get(k) === holder) this.names.delete(k);
  }

  /** unix_autobind: a free name of five hex digits after the NUL. */
  autobind(holder: T): UnixAddress | number {
    for (let tries = 0; tries <= 0xfffff; tries++) {
      this.order = (this.order + 1) & 0xfffff;
      const name = '\0' + this.order.toString(16).padStart(5, '0');
      if (this.claim(holder, name) === 0) {
        const path = new Uint8Array(name.length);
        for (let i = 0; i < name.length; i++) path[i] = name.charCodeAt(i);
        return { path, abstract: true };
      }
    }
    return -E.ENOSPC;
  }
}

/** The key an abstract address is registered under. */
export function abstractKey(addr: UnixAddress): string { return latin1(addr.path); }
