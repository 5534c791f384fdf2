// 9P2000.L messages as data: each message type's body is a list of
// (field, wire kind) in protocol order. The codec interprets this table and
// the TypeScript types below are derived from it, so the layout of every
// message is written down exactly once.
//
// Every message is size[4] type[1] tag[2] followed by its body; all integers
// are little-endian. Field names follow the protocol's (diod's
// protocol.md, Linux's include/net/9p/9p.h) in camelCase; a field the protocol
// calls `type` is renamed (lockType, fsType) because `type` is the
// message's own discriminant here.

export const MsgType = {
  Rlerror: 7,
  Tstatfs: 8, Rstatfs: 9,
  Tlopen: 12, Rlopen: 13,
  Tlcreate: 14, Rlcreate: 15,
  Tsymlink: 16, Rsymlink: 17,
  Tmknod: 18, Rmknod: 19,
  Trename: 20, Rrename: 21,
  Treadlink: 22, Rreadlink: 23,
  Tgetattr: 24, Rgetattr: 25,
  Tsetattr: 26, Rsetattr: 27,
  Txattrwalk: 30, Rxattrwalk: 31,
  Txattrcreate: 32, Rxattrcreate: 33,
  Treaddir: 40, Rreaddir: 41,
  Tfsync: 50, Rfsync: 51,
  Tlock: 52, Rlock: 53,
  Tgetlock: 54, Rgetlock: 55,
  Tlink: 70, Rlink: 71,
  Tmkdir: 72, Rmkdir: 73,
  Trenameat: 74, Rrenameat: 75,
  Tunlinkat: 76, Runlinkat: 77,
  Tversion: 100, Rversion: 101,
  Tauth: 102, Rauth: 103,
  Tattach: 104, Rattach: 105,
  Tflush: 108, Rflush: 109,
  Twalk: 110, Rwalk: 111,
  Tread: 116, Rread: 117,
  Twrite: 118, Rwrite: 119,
  Tclunk: 120, Rclunk: 121,
  Tremove: 122, Rremove: 123,
  // Our extension, only after Tversion agreed on VERSION_9P2000_L_FD (README.md,
  // "Host fd donation"). Numbers outside 9P2000, 9P2000.u, 9P2000.L and the
  // ranges gVisor's and diod's extensions use.
  Tlopenfd: 200, Rlopenfd: 201,
  Tlcreatefd: 202, Rlcreatefd: 203,
  Twalkgetattr: 204, Rwalkgetattr: 205,
} as const;

export type MsgTypeName = keyof typeof MsgType;

export const VERSION_9P2000_L = '9P2000.L';
export const VERSION_UNKNOWN = 'unknown';
/**
 * 9P2000.L plus our extension: host fd donation (Tlopenfd, Tlcreatefd) and
 * Twalkgetattr. A server that does
 * not know it answers 9P2000.L (the prefix up to the last period, as 9P
 * allows) or "unknown"; the client then speaks plain 9P2000.L.
 */
export const VERSION_9P2000_L_FD = '9P2000.L.fd';

export const NOTAG = 0xffff;
export const NOFID = 0xffffffff;
export const NONUNAME = 0xffffffff;

/** size[4] type[1] tag[2] */
export const HEADER_SIZE = 7;
/** Room Linux reserves for the header of a data-carrying message (Twrite: 23). */
export const IOHDRSZ = 24;
/** Twalk's limit on names per walk. */
export const MAXWELEM = 16;

// Qid.type bits.
export const QTDIR = 0x80;
export const QTAPPEND = 0x40;
export const QTEXCL = 0x20;
export const QTAUTH = 0x08;
export const QTTMP = 0x04;
export const QTSYMLINK = 0x02;
export const QTFILE = 0x00;

// Tgetattr request_mask / Rgetattr valid bits.
export const GETATTR_MODE = 0x1n;
export const GETATTR_NLINK = 0x2n;
export const GETATTR_UID = 0x4n;
export const GETATTR_GID = 0x8n;
export const GETATTR_RDEV = 0x10n;
export const GETATTR_ATIME = 0x20n;
export const GETATTR_MTIME = 0x40n;
export const GETATTR_CTIME = 0x80n;
export const GETATTR_INO = 0x100n;
export const GETATTR_SIZE = 0x200n;
export const GETATTR_BLOCKS = 0x400n;
export const GETATTR_BTIME = 0x800n;
export const GETATTR_GEN = 0x1000n;
export const GETATTR_DATA_VERSION = 0x2000n;
export const GETATTR_BASIC = 0x7ffn;
export const GETATTR_ALL = 0x3fffn;

// Tsetattr valid bits.
export const SETATTR_MODE = 0x1;
export const SETATTR_UID = 0x2;
export const SETATTR_GID = 0x4;
export const SETATTR_SIZE = 0x8;
export const SETATTR_ATIME = 0x10;
export const SETATTR_MTIME = 0x20;
export const SETATTR_CTIME = 0x40;
export const SETATTR_ATIME_SET = 0x80;
export const SETATTR_MTIME_SET = 0x100;

// Tlock / Tgetlock.
export const LOCK_TYPE_RDLCK = 0;
export const LOCK_TYPE_WRLCK = 1;
export const LOCK_TYPE_UNLCK = 2;
export const LOCK_FLAGS_BLOCK = 1;
export const LOCK_FLAGS_RECLAIM = 2;
/** Txattrcreate's flags: setxattr(2)'s, as they are. */
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;

export const LOCK_SUCCESS = 0;
export const LOCK_BLOCKED = 1;
export const LOCK_ERROR = 2;
export const LOCK_GRACE = 3;

export interface Qid {
  type: number;
  version: number;
  /** Unique per file on the server (the host inode number here). */
  path: bigint;
}

/** One Rreaddir entry. `offset` is the cookie a Treaddir resumes after. */
export interface Dirent {
  qid: Qid;
  offset: bigint;
  /** Linux d_type (DT_DIR, DT_REG, ...). */
  type: number;
  name: string;
}

/**
 * Wire kinds. u64 and i64 travel as 64 bits but are JS numbers here, for
 * offsets, sizes and times; a value beyond 2^53 is malformed. b64 is a
 * bigint, for values that use all 64 bits (qid paths, directory cookies,
 * masks, lock ranges).
 */
export type WireKind =
  | 'u8' | 'u16' | 'u32' | 'u64' | 'i64' | 'b64'
  | 'str' | 'strs' | 'qid' | 'qids' | 'data' | 'dirents';

type KindValue<K extends WireKind> =
  K extends 'u8' | 'u16' | 'u32' | 'u64' | 'i64' ? number
  : K extends 'b64' ? bigint
  : K extends 'str' ? string
  : K extends 'strs' ? string[]
  : K extends 'qid' ? Qid
  : K extends 'qids' ? Qid[]
  : K extends 'data' ? Uint8Array
  : K extends 'dirents' ? Dirent[]
  : never;

export type FieldSpec = readonly [name: string, kind: WireKind];

const qidField = [['qid', 'qid']] as const;
const none = [] as const;
const getattrFields = [
  ['valid', 'b64'], ['qid', 'qid'], ['mode', 'u32'], ['uid', 'u32'], ['gid', 'u32'],
  ['nlink', 'u64'], ['rdev', 'b64'], ['size', 'u64'], ['blksize', 'u64'], ['blocks', 'u64'],
  ['atimeSec', 'i64'], ['atimeNsec', 'u64'], ['mtimeSec', 'i64'], ['mtimeNsec', 'u64'],
  ['ctimeSec', 'i64'], ['ctimeNsec', 'u64'], ['btimeSec', 'i64'], ['btimeNsec', 'u64'],
  ['gen', 'b64'], ['dataVersion', 'b64'],
] as const;

/** The body of every message, field by field, in wire order. */
export const BODIES = {
  [MsgType.Rlerror]: [['ecode', 'u32']],
  [MsgType.Tstatfs]: [['fid', 'u32']],
  [MsgType.Rstatfs]: [
    ['fsType', 'u32'], ['bsize', 'u32'], ['blocks', 'u64'], ['bfree', 'u64'], ['bavail', 'u64'],
    ['files', 'u64'], ['ffree', 'u64'], ['fsid', 'b64'], ['namelen', 'u32'],
  ],
  [MsgType.Tlopen]: [['fid', 'u32'], ['flags', 'u32']],
  [MsgType.Rlopen]: [['qid', 'qid'], ['iounit', 'u32']],
  [MsgType.Tlcreate]: [['fid', 'u32'], ['name', 'str'], ['flags', 'u32'], ['mode', 'u32'], ['gid', 'u32']],
  [MsgType.Rlcreate]: [['qid', 'qid'], ['iounit', 'u32']],
  [MsgType.Tsymlink]: [['dfid', 'u32'], ['name', 'str'], ['target', 'str'], ['gid', 'u32']],
  [MsgType.Rsymlink]: qidField,
  [MsgType.Tmknod]: [['dfid', 'u32'], ['name', 'str'], ['mode', 'u32'], ['major', 'u32'], ['minor', 'u32'], ['gid', 'u32']],
  [MsgType.Rmknod]: qidField,
  [MsgType.Trename]: [['fid', 'u32'], ['dfid', 'u32'], ['name', 'str']],
  [MsgType.Rrename]: none,
  [MsgType.Treadlink]: [['fid', 'u32']],
  [MsgType.Rreadlink]: [['target', 'str']],
  [MsgType.Tgetattr]: [['fid', 'u32'], ['requestMask', 'b64']],
  [MsgType.Rgetattr]: getattrFields,
  [MsgType.Tsetattr]: [
    ['fid', 'u32'], ['valid', 'u32'], ['mode', 'u32'], ['uid', 'u32'], ['gid', 'u32'], ['size', 'u64'],
    ['atimeSec', 'i64'], ['atimeNsec', 'u64'], ['mtimeSec', 'i64'], ['mtimeNsec', 'u64'],
  ],
  [MsgType.Rsetattr]: none,
  [MsgType.Txattrwalk]: [['fid', 'u32'], ['newfid', 'u32'], ['name', 'str']],
  [MsgType.Rxattrwalk]: [['size', 'u64']],
  [MsgType.Txattrcreate]: [['fid', 'u32'], ['name', 'str'], ['attrSize', 'u64'], ['flags', 'u32']],
  [MsgType.Rxattrcreate]: none,
  [MsgType.Treaddir]: [['fid', 'u32'], ['offset', 'b64'], ['count', 'u32']],
  [MsgType.Rreaddir]: [['entries', 'dirents']],
  [MsgType.Tfsync]: [['fid', 'u32'], ['datasync', 'u32']],
  [MsgType.Rfsync]: none,
  [MsgType.Tlock]: [
    ['fid', 'u32'], ['lockType', 'u8'], ['flags', 'u32'], ['start', 'b64'], ['length', 'b64'],
    ['procId', 'u32'], ['clientId', 'str'],
  ],
  [MsgType.Rlock]: [['status', 'u8']],
  [MsgType.Tgetlock]: [
    ['fid', 'u32'], ['lockType', 'u8'], ['start', 'b64'], ['length', 'b64'], ['procId', 'u32'], ['clientId', 'str'],
  ],
  [MsgType.Rgetlock]: [['lockType', 'u8'], ['start', 'b64'], ['length', 'b64'], ['procId', 'u32'], ['clientId', 'str']],
  [MsgType.Tlink]: [['dfid', 'u32'], ['fid', 'u32'], ['name', 'str']],
  [MsgType.Rlink]: none,
  [MsgType.Tmkdir]: [['dfid', 'u32'], ['name', 'str'], ['mode', 'u32'], ['gid', 'u32']],
  [MsgType.Rmkdir]: qidField,
  [MsgType.Trenameat]: [['olddfid', 'u32'], ['oldname', 'str'], ['newdfid', 'u32'], ['newname', 'str']],
  [MsgType.Rrenameat]: none,
  [MsgType.Tunlinkat]: [['dfid', 'u32'], ['name', 'str'], ['flags', 'u32']],
  [MsgType.Runlinkat]: none,
  [MsgType.Tversion]: [['msize', 'u32'], ['version', 'str']],
  [MsgType.Rversion]: [['msize', 'u32'], ['version', 'str']],
  [MsgType.Tauth]: [['afid', 'u32'], ['uname', 'str'], ['aname', 'str'], ['nUname', 'u32']],
  [MsgType.Rauth]: [['aqid', 'qid']],
  [MsgType.Tattach]: [['fid', 'u32'], ['afid', 'u32'], ['uname', 'str'], ['aname', 'str'], ['nUname', 'u32']],
  [MsgType.Rattach]: qidField,
  [MsgType.Tflush]: [['oldtag', 'u16']],
  [MsgType.Rflush]: none,
  [MsgType.Twalk]: [['fid', 'u32'], ['newfid', 'u32'], ['names', 'strs']],
  [MsgType.Rwalk]: [['qids', 'qids']],
  [MsgType.Tread]: [['fid', 'u32'], ['offset', 'u64'], ['count', 'u32']],
  [MsgType.Rread]: [['data', 'data']],
  [MsgType.Twrite]: [['fid', 'u32'], ['offset', 'u64'], ['data', 'data']],
  [MsgType.Rwrite]: [['count', 'u32']],
  [MsgType.Tclunk]: [['fid', 'u32']],
  [MsgType.Rclunk]: none,
  [MsgType.Tremove]: [['fid', 'u32']],
  [MsgType.Rremove]: none,
  // Tlopen and Tlcreate, with the opened host fd passed along with the reply (SCM_RIGHTS).
  // Tlopenfd opens newfid, a clone of fid (or fid itself when newfid = fid): a walk and an open in one round trip.
  [MsgType.Tlopenfd]: [['fid', 'u32'], ['newfid', 'u32'], ['flags', 'u32']],
  [MsgType.Rlopenfd]: [['qid', 'qid'], ['iounit', 'u32']],
  [MsgType.Tlcreatefd]: [['fid', 'u32'], ['name', 'str'], ['flags', 'u32'], ['mode', 'u32'], ['gid', 'u32']],
  [MsgType.Rlcreatefd]: [['qid', 'qid'], ['iounit', 'u32']],
  // Twalk and a Tgetattr of newfid in one round trip: a lookup needs both. The
  // attributes are Rgetattr's; after a partial walk (fewer qids than names)
  // newfid does not exist and they are all zero, valid included.
  [MsgType.Twalkgetattr]: [['fid', 'u32'], ['newfid', 'u32'], ['names', 'strs']],
  [MsgType.Rwalkgetattr]: [['qids', 'qids'], ...getattrFields],
} as const satisfies Record<number, readonly FieldSpec[]>;

type Bodies = typeof BODIES;
export type MsgTypeCode = keyof Bodies;

type BodyOf<S extends readonly FieldSpec[]> = { -readonly [F in S[number] as F[0]]: KindValue<F[1]> };

/** The message whose type code is T. */
export type Msg<T extends MsgTypeCode> = { type: T; tag: number } & BodyOf<Bodies[T]>;

type AnyMsg = { [T in MsgTypeCode]: Msg<T> }[MsgTypeCode];
/** Any 9P2000.L message, discriminated by `type`. */
export type P9Message = AnyMsg;

/** The message named N, e.g. M<'Twalk'>. */
export type M<N extends MsgTypeName> = Msg<(typeof MsgType)[N]>;

export function isKnownType(type: number): type is MsgTypeCode {
  return Object.prototype.hasOwnProperty.call(BODIES, type);
}

/** Requests have even type codes; replies are request + 1. */
export function isRequestType(type: number): boolean {
  return (type & 1) === 0;
}

const TYPE_NAMES: Record<number, MsgTypeName> = Object.fromEntries(
  Object.entries(MsgType).map(([name, code]) => [code, name as MsgTypeName]),
);

/** "Twalk" for 110; for logs and test names. */
export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `type${type}`;
}

/** Bytes a dirent takes in an Rreaddir: qid[13] offset[8] type[1] name[s]. */
export function direntSize(nameBytes: number): number {
  return 13 + 8 + 1 + 2 + nameBytes;
}
