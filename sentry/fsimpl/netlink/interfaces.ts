// The sandbox's network interfaces, as rtnetlink dumps them and as the
// SIOCGIF* ioctls of any socket (dev_ioctl) name them: only loopback, in
// the state a new Linux network namespace leaves it (down, no address),
// until netstack brings interfaces of its own.
import { E } from '../../../abi/linux/errno.js';
import * as NL from '../../../abi/linux/netlink.js';
import type { IoctlIo } from '../../vfs/file-description.js';

export const LO_NAME = 'lo';
export const LO_INDEX = 1;
export const LO_MTU = 65536;
export const LO_TXQLEN = 1000;
/** ifi_flags / ifr_flags: a loopback device nobody brought up. */
export const LO_FLAGS = NL.IFF_LOOPBACK;

/** The interface ioctls (SIOCGIFINDEX, SIOCGIFNAME, SIOCGIFFLAGS, SIOCGIFMTU); null for any other request. */
export function interfaceIoctl(request: number, arg: number, io: IoctlIo): number | null {
  if (request !== NL.SIOCGIFINDEX && request !== NL.SIOCGIFNAME && request !== NL.SIOCGIFFLAGS && request !== NL.SIOCGIFMTU) return null;
  const ifr = new Uint8Array(NL.IFREQ_SIZE), dv = new DataView(ifr.buffer);
  if (io.copyIn(arg, ifr) < 0) return -E.EFAULT;
  if (request === NL.SIOCGIFNAME) {
    if (dv.getInt32(NL.IFNAMSIZ, true) !== LO_INDEX) return -E.ENODEV;
    ifr.fill(0, 0, NL.IFNAMSIZ);
    ifr.set(Buffer.from(LO_NAME, 'latin1'));
  } else {
    // dev_ioctl reads the name NUL-terminated at IFNAMSIZ - 1.
    const raw = ifr.subarray(0, NL.IFNAMSIZ - 1), end = raw.indexOf(0);
    if (Buffer.from(end < 0 ? raw : raw.subarray(0, end)).toString('latin1') !== LO_NAME) return -E.ENODEV;
    if (request === NL.SIOCGIFINDEX) dv.setInt32(NL.IFNAMSIZ, LO_INDEX, true);
    else if (request === NL.SIOCGIFFLAGS) dv.setInt16(NL.IFNAMSIZ, LO_FLAGS, true);
    else dv.setInt32(NL.IFNAMSIZ, LO_MTU, true);
  }
  return io.copyOut(arg, ifr) < 0 ? -E.EFAULT : 0;
}
