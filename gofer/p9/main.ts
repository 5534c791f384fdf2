// The Gofer's serving loop: one P9Server per connection fd, all driven by
// poll(2) on this one thread. Nothing here awaits or touches libuv; the loop
// blocks in poll and returns when every peer has hung up.

import { umask } from '../../host/fs.js';
import { POLLERR, POLLHUP, POLLIN, POLLNVAL, PollSet } from '../../host/socket.js';
import { Connection } from './connection.js';
import { P9Server } from './server.js';

export interface GoferConfig {
  /** Connected stream sockets, one per mount; the Gofer owns and closes them. */
  fds: number[];
  /** Host directory served on fds[i]: a path, or an O_PATH directory fd the server takes over. */
  roots: Array<string | number>;
  /** Whether fds[i]'s mount refuses every change (EROFS). */
  readonly: boolean[];
  /** See P9ServerOptions.procSelfFd. */
  procSelfFd?: string | number;
}

/**
 * Serves until all peers have closed. Throws only for a bad configuration
 * (mismatched lists, a root that cannot be opened) or if poll(2) itself fails.
 *
 * Sets the process umask to 0: modes in Tlcreate/Tmkdir/Tmknod already had
 * the sandbox's umask applied by the Sentry and must reach the host as sent.
 */
export function runGofer(cfg: GoferConfig): void {
  const n = cfg.fds.length;
  if (cfg.roots.length !== n || cfg.readonly.length !== n) {
    throw new Error(`gofer: ${n} fds but ${cfg.roots.length} roots and ${cfg.readonly.length} readonly flags`);
  }
  umask(0);
  const conns = cfg.fds.map((fd, i) => new Connection(
    fd,
    // Each connection is an AF_UNIX socket, so its replies can carry fds.
    new P9Server({ root: cfg.roots[i], readonly: cfg.readonly[i], procSelfFd: cfg.procSelfFd, donateFds: true }),
  ));
  const pollSet = new PollSet(n);
  let live = n;
  while (live > 0) {
    for (let i = 0; i < n; i++) pollSet.set(i, conns[i].isOpen ? conns[i].fd : -1, POLLIN);
    const ready = pollSet.wait(-1);
    if (ready < 0) throw new Error(`gofer: poll failed: errno ${-ready}`);
    for (let i = 0; i < n; i++) {
      const ev = pollSet.revents(i);
      if (ev === 0 || !conns[i].isOpen) continue;
      const more = (ev & POLLNVAL) === 0 && (ev & (POLLIN | POLLHUP | POLLERR)) !== 0 && conns[i].onReadable();
      if (!more) {
        conns[i].close();
        live--;
      }
    }
  }
}
