// Pseudo-terminals: /dev/ptmx hands out a master and makes /dev/pts/N, its
// slave, appear. Between the two sits a small line discipline: canonical
// input (lines, erase, kill, end of file), echo, CR to NL on input, NL to
// CRNL on output, and the signal characters for the foreground process
// group. Both ends live in the Sentry; no host terminal is involved.
import { E } from '../../../abi/linux/errno.js';
import { FIONREAD, TCGETS, TCSETS, TCSETSF, TCSETSW, TERMIOS_SIZE, TIOCGPGRP, TIOCGPTN, TIOCGWINSZ, TIOCSCTTY, TIOCSPGRP, TIOCSWINSZ, WINSIZE_SIZE } from '../../../abi/linux/ioctl.js';
import { SIGINT, SIGQUIT, SIGTSTP } from '../../../abi/linux/signal.js';
import { makedev, S_IFCHR, type Stat } from '../../../abi/linux/stat.js';
import { WaitQueue } from '../../kernel/wait-queue.js';
import { FileDescription, type IoctlIo } from '../../vfs/file-description.js';
import type { Inode } from '../../vfs/inode.js';
import { DeviceInode } from '../synthetic/synthetic.js';

const TIOCSPTLCK = 0x40045431, TIOCGPTLCK = 0x80045439, TIOCNOTTY = 0x5422, TIOCGSID = 0x5429;
const POLLIN = 0x1, POLLOUT = 0x4, POLLHUP = 0x10;
/** UNIX98 pty slaves: majors 136 and up, one minor per index. */
const PTS_MAJOR = 136;

// termios flags (<asm-generic/termbits.h>).
const ICRNL = 0o400, IGNCR = 0o200, INLCR = 0o100, OPOST = 0o1, ONLCR = 0o4;
const ISIG = 0o1, ICANON = 0o2, ECHO = 0o10, ECHOE = 0o20, ECHOK = 0o40, ECHOCTL = 0o1000, ECHOKE = 0o4000;
const VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VSUSP = 10, VEOL = 11;

/** iscntrl: what ECHOCTL shows as ^X. */
function isControl(c: number): boolean {
  return c < 0x20 || c === 0x7f;
}

/** Linux's tty_std_termios as a pty slave starts: ICRNL|IXON, OPOST|ONLCR, B38400|CS8|CREAD, ISIG|ICANON|ECHO|ECHOE|ECHOK|ECHOCTL|ECHOKE|IEXTEN. */
function slaveTermios(): Uint8Array {
  const b = new Uint8Array(TERMIOS_SIZE), dv = new DataView(b.buffer);
  dv.setUint32(0, 0o2400, true);
  dv.setUint32(4, 0o5, true);
  dv.setUint32(8, 0o277, true);
  dv.setUint32(12, 0o105073, true);
  const cc = [3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0];
  b.set(cc, 17);
  return b;
}

/** The master's own termios: raw, B38400|CS8|CREAD. */
function masterTermios(): Uint8Array {
  const b = new Uint8Array(TERMIOS_SIZE);
  new DataView(b.buffer).setUint32(8, 0o277, true);
  b.set([3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0], 17);
  return b;
}

/** How the pty reaches the kernel: signalling a process group. */
export type SignalGroup = (pgid: number, signo: number) => void;

class PtyPair {
  readonly queue = new WaitQueue();
  readonly termios = slaveTermios();
  readonly masterTermios = masterTermios();
  readonly winsize = new Uint8Array(WINSIZE_SIZE);
  locked = true;
  masterOpen = true;
  slaveOpens = 0;
  slaveEverOpened = false;
  foreground = 0;
  session = 0;
  /** What the slave has written (and echo): the master reads it. */
  private toMaster: number[] = [];
  /** Input the slave may read: whole lines in canonical mode (an empty one is end of file). */
  private readonly lines: number[][] = [];
  private partial: number[] = [];

  constructor(readonly index: number, private readonly signal: SignalGroup) {}

  private flag(off: number): number { return new DataView(this.termios.buffer).getUint32(off, true); }
  private cc(i: number): number { return this.termios[17 + i]; }

  get masterReadable(): number { return this.toMaster.length; }
  get slaveReadable(): number {
    if (this.flag(12) & ICANON) return this.lines.length;
    return this.lines.reduce((n, l) => n + l.length, 0) + this.partial.length;
  }

  /** Output processing of what the slave (or echo) writes. */
  private output(bytes: Iterable<number>): void {
    const post = (this.flag(4) & OPOST) !== 0, onlcr = (this.flag(4) & ONLCR) !== 0;
    for (const c of bytes) {
      if (post && onlcr && c === 0x0a) this.toMaster.push(0x0d);
      this.toMaster.push(c);
    }
  }

  private echo(c: number): void {
    const lflag = this.flag(12);
    if (!(lflag & ECHO)) return;
    if (isControl(c) && c !== 0x0a && c !== 0x09 && (lflag & ECHOCTL)) this.output([0x5e, c ^ 0x40]);
    else this.output([c]);
  }

  /**
   * ERASE drops the pending line's last character, KILL the whole line, as
   * Linux's n_tty eraser: nothing happens (nor is echoed) on an empty line;
   * with ECHOE each character is rubbed out with "\b \b" (twice for a
   * control character shown as ^X under ECHOCTL); without ECHOE the ERASE
   * character itself is echoed; KILL rubs out the line only with ECHOK,
   * ECHOKE and ECHOE all set, else it echoes the KILL character and, with
   * ECHOK, a newline. (A tab is dropped without moving back: Linux computes
   * its columns.)
   */
  private erase(kill: boolean): void {
    const lflag = this.flag(12);
    if (this.partial.length === 0) return;
    if (!(lflag & ECHO)) {
      if (kill) this.partial = []; else this.partial.pop();
      return;
    }
    if (kill && (!(lflag & ECHOK) || !(lflag & ECHOKE) || !(lflag & ECHOE))) {
      this.partial = [];
      this.echo(this.cc(VKILL));
      if (lflag & ECHOK) this.output([0x0a]);
      return;
    }
    if (!kill && !(lflag & ECHOE)) {
      this.partial.pop();
      this.echo(this.cc(VERASE));
      return;
    }
    do {
      const c = this.partial.pop()!;
      if (!isControl(c)) this.output([0x08, 0x20, 0x08]);
      else if (c !== 0x09 && (lflag & ECHOCTL)) this.output([0x08, 0x20, 0x08, 0x08, 0x20, 0x08]);
    } while (kill && this.partial.length > 0);
  }

  /** The master writes: input processing on the way to the slave. */
  input(src: Uint8Array): void {
    const iflag = this.flag(0), lflag = this.flag(12);
    const canon = (lflag & ICANON) !== 0;
    for (let c of src) {
      if (c === 0x0d) {
        if (iflag & IGNCR) continue;
        if (iflag & ICRNL) c = 0x0a;
      } else if (c === 0x0a && (iflag & INLCR)) c = 0x0d;
      if (lflag & ISIG) {
        const signo = c === this.cc(VINTR) ? SIGINT : c === this.cc(VQUIT) ? SIGQUIT : c === this.cc(VSUSP) ? SIGTSTP : 0;
        if (signo !== 0 && c !== 0) {
          this.echo(c);
          this.lines.length = 0;
          this.partial = [];
          if (this.foreground > 0) this.signal(this.foreground, signo);
          continue;
        }
      }
      if (canon) {
        if (c === this.cc(VERASE) || c === this.cc(VKILL)) {
          this.erase(c === this.cc(VKILL));
          continue;
        }
        if (c === this.cc(VEOF)) {
          this.lines.push(this.partial);
          this.partial = [];
          continue;
        }
        this.partial.push(c);
        this.echo(c);
        if (c === 0x0a || (c === this.cc(VEOL) && c !== 0)) {
          this.lines.push(this.partial);
          this.partial = [];
        }
        continue;
      }
      this.partial.push(c);
      this.echo(c);
    }
    this.queue.wakeAll();
  }

  /** The slave reads: one line at most in canonical mode. */
  readInput(dst: Uint8Array): number {
    if (this.flag(12) & ICANON) {
      const line = this.lines[0];
      if (line === undefined) return this.masterOpen ? -E.EAGAIN : 0;
      const n = Math.min(dst.length, line.length);
      dst.set(line.slice(0, n));
      if (n === line.length) this.lines.shift(); else this.lines[0] = line.slice(n);
      this.queue.wakeAll();
      return n;
    }
    const all = [...this.lines.flat(), ...this.partial];
    if (all.length === 0) return this.masterOpen ? -E.EAGAIN : 0;
    const n = Math.min(dst.length, all.length);
    dst.set(all.slice(0, n));
    this.lines.length = 0;
    this.partial = all.slice(n);
    this.queue.wakeAll();
    return n;
  }

  writeOutput(src: Uint8Array): number {
    if (!this.masterOpen) return -E.EIO;
    this.output(src);
    this.queue.wakeAll();
    return src.length;
  }

  readOutput(dst: Uint8Array): number {
    if (this.toMaster.length === 0) return this.slaveEverOpened && this.slaveOpens === 0 ? -E.EIO : -E.EAGAIN;
    const n = Math.min(dst.length, this.toMaster.length);
    dst.set(this.toMaster.slice(0, n));
    this.toMaster = this.toMaster.slice(n);
    this.queue.wakeAll();
    return n;
  }

  /**
   * TIOCSCTTY (tiocsctty): a session leader makes this its controlling
   * terminal, and its process group the foreground one, as script(1),
   * ssh and login do after setsid(). A terminal another session holds is
   * EPERM unless arg is 1 and the caller is privileged (it is stolen).
   * The Sentry keeps no per-session terminal, so a session taking a second
   * terminal is not refused as Linux refuses it.
   */
  acquire(arg: number, io: IoctlIo): number {
    const c = io.caller;
    if (c === undefined) return 0;
    if (this.session === c.sid) return 0;
    if (c.sid !== c.tgid) return -E.EPERM;
    if (this.session > 0 && !(arg === 1 && c.privileged)) return -E.EPERM;
    this.session = c.sid;
    this.foreground = c.pgid;
    return 0;
  }

  /** TIOCNOTTY: ENOTTY unless this is the caller's terminal; a session leader gives it up. */
  release(io: IoctlIo): number {
    const c = io.caller;
    if (c === undefined) return 0;
    if (this.session !== c.sid) return -E.ENOTTY;
    if (c.sid === c.tgid) { this.session = 0; this.foreground = 0; }
    return 0;
  }

  /** The ioctls both ends answer. */
  commonIoctl(request: number, arg: number, io: IoctlIo, termios: Uint8Array): number | null {
    const int = (v: number): number => { const b = new Uint8Array(4); new DataView(b.buffer).setInt32(0, v, true); return io.copyOut(arg, b) < 0 ? -E.EFAULT : 0; };
    switch (request) {
      case TCGETS: return io.copyOut(arg, termios) < 0 ? -E.EFAULT : 0;
      case TCSETS: case TCSETSW: case TCSETSF: {
        const b = new Uint8Array(TERMIOS_SIZE);
        if (io.copyIn(arg, b) < 0) return -E.EFAULT;
        termios.set(b);
        if (request === TCSETSF) { this.lines.length = 0; this.partial = []; }
        this.queue.wakeAll();
        return 0;
      }
      case TIOCGWINSZ: return io.copyOut(arg, this.winsize) < 0 ? -E.EFAULT : 0;
      case TIOCSWINSZ: {
        const b = new Uint8Array(WINSIZE_SIZE);
        if (io.copyIn(arg, b) < 0) return -E.EFAULT;
        this.winsize.set(b);
        return 0;
      }
      case TIOCGPGRP: return int(this.foreground);
      case TIOCSPGRP: {
        const b = new Uint8Array(4);
        if (io.copyIn(arg, b) < 0) return -E.EFAULT;
        const pgid = new DataView(b.buffer).getInt32(0, true);
        if (pgid < 0) return -E.EINVAL;
        this.foreground = pgid;
        return 0;
      }
      case TIOCGSID: return this.session > 0 ? int(this.session) : -E.ENOTTY;
      case TIOCGPTN: return int(this.index);
      default: return null;
    }
  }
}

class PtyMasterFile extends FileDescription {
  constructor(flags: number, readonly pair: PtyPair, private readonly statOf: () => Stat | number) { super(flags); }
  stat(): Stat | number { return this.statOf(); }
  override seekable(): boolean { return false; }
  override waitQueue(): WaitQueue { return this.pair.queue; }
  override read(dst: Uint8Array): number { return dst.length === 0 ? 0 : this.pair.readOutput(dst); }
  override write(src: Uint8Array): number { this.pair.input(src); return src.length; }
  override readiness(): number {
    const p = this.pair;
    const hup = p.slaveEverOpened && p.slaveOpens === 0;
    return (p.masterReadable > 0 || hup ? POLLIN : 0) | POLLOUT | (hup ? POLLHUP : 0);
  }
  override ioctl(request: number, arg: number, io: IoctlIo): number {
    switch (request) {
      case TIOCSPTLCK: {
        const b = new Uint8Array(4);
        if (io.copyIn(arg, b) < 0) return -E.EFAULT;
        this.pair.locked = new DataView(b.buffer).getInt32(0, true) !== 0;
        return 0;
      }
      case TIOCGPTLCK: {
        const b = new Uint8Array(4);
        new DataView(b.buffer).setInt32(0, this.pair.locked ? 1 : 0, true);
        return io.copyOut(arg, b) < 0 ? -E.EFAULT : 0;
      }
      case FIONREAD: {
        const b = new Uint8Array(4);
        new DataView(b.buffer).setInt32(0, this.pair.masterReadable, true);
        return io.copyOut(arg, b) < 0 ? -E.EFAULT : 0;
      }
    }
    return this.pair.commonIoctl(request, arg, io, this.pair.masterTermios) ?? -E.ENOTTY;
  }
  protected override release(): void {
    this.pair.masterOpen = false;
    this.pair.queue.wakeAll();
    ptys.delete(this.pair.index);
  }
}

class PtySlaveFile extends FileDescription {
  constructor(flags: number, readonly pair: PtyPair, private readonly statOf: () => Stat | number) {
    super(flags);
    pair.slaveOpens++;
    pair.slaveEverOpened = true;
  }
  stat(): Stat | number { return this.statOf(); }
  override seekable(): boolean { return false; }
  override waitQueue(): WaitQueue { return this.pair.queue; }
  override read(dst: Uint8Array): number { return dst.length === 0 ? 0 : this.pair.readInput(dst); }
  override write(src: Uint8Array): number { return this.pair.writeOutput(src); }
  override readiness(): number {
    const p = this.pair;
    return (p.slaveReadable > 0 || !p.masterOpen ? POLLIN : 0) | POLLOUT | (!p.masterOpen ? POLLHUP : 0);
  }
  override ioctl(request: number, arg: number, io: IoctlIo): number {
    switch (request) {
      case FIONREAD: {
        const b = new Uint8Array(4);
        new DataView(b.buffer).setInt32(0, this.pair.slaveReadable, true);
        return io.copyOut(arg, b) < 0 ? -E.EFAULT : 0;
      }
      case TIOCSCTTY: return this.pair.acquire(arg, io);
      case TIOCNOTTY: return this.pair.release(io);
      case TIOCGPTN: return -E.ENOTTY;
    }
    return this.pair.commonIoctl(request, arg, io, this.pair.termios) ?? -E.ENOTTY;
  }
  protected override release(): void {
    this.pair.slaveOpens--;
    this.pair.queue.wakeAll();
  }
}

/** The live pairs, by index (the lowest free index is reused, as devpts does). */
const ptys = new Map<number, PtyPair>();

/** /dev/ptmx: each open makes a new pair, locked until TIOCSPTLCK(0). */
export function ptmxInode(dev: number, signal: SignalGroup): DeviceInode {
  return new DeviceInode(dev, S_IFCHR, 0o666, makedev(5, 2), (flags, stat) => {
    let index = 0;
    while (ptys.has(index)) index++;
    const pair = new PtyPair(index, signal);
    ptys.set(index, pair);
    return new PtyMasterFile(flags, pair, stat);
  });
}

/**
 * /dev/pts/N, one inode per index, made once: a walk may find /dev/pts/N
 * through a dentry cached while an earlier pair had index N, so the inode
 * opens whichever pair holds the index now (ENOENT when none does, as
 * devpts removes the entry when the master closes).
 */
const slaveInodes = new Map<number, DeviceInode>();

/** /dev/pts's entries: one slave device per live pair; a locked one cannot be opened (EIO). */
export function ptsChildren(dev: number): Map<string, Inode> {
  const out = new Map<string, Inode>();
  for (const index of ptys.keys()) {
    let inode = slaveInodes.get(index);
    if (inode === undefined) {
      inode = new DeviceInode(dev, S_IFCHR, 0o620, makedev(PTS_MAJOR + (index >> 8), index & 0xff), (flags, stat) => {
        const pair = ptys.get(index);
        if (pair === undefined) return -E.ENOENT;
        if (pair.locked) return -E.EIO;
        return new PtySlaveFile(flags, pair, stat);
      });
      slaveInodes.set(index, inode);
    }
    out.set(String(index), inode);
  }
  return out;
}
