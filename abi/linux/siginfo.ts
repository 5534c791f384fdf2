// siginfo_t on x86-64 (128 bytes) and the si_code values the Sentry sends.
export const SIGINFO_SIZE = 128;

export const SI_USER = 0;
export const SI_KERNEL = 0x80;
export const SI_QUEUE = -1;
export const SI_TIMER = -2;
export const SI_TKILL = -6;

export const CLD_EXITED = 1;
export const CLD_KILLED = 2;
export const CLD_DUMPED = 3;
export const CLD_TRAPPED = 4;
export const CLD_STOPPED = 5;
export const CLD_CONTINUED = 6;

export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;

export const BUS_ADRALN = 1;
export const BUS_ADRERR = 2;
export const BUS_OBJERR = 3;

export interface SiginfoFields {
  signo: number;
  code: number;
  errno?: number;
  pid?: number;
  uid?: number;
  /** si_status for SIGCHLD. */
  status?: number;
  /** si_addr for faults. */
  addr?: number;
  /** si_value for sigqueue / timers. */
  value?: bigint;
}

export function encodeSiginfo(f: SiginfoFields): Uint8Array {
  const b = new Uint8Array(SIGINFO_SIZE);
  const dv = new DataView(b.buffer);
  dv.setInt32(0, f.signo, true);
  dv.setInt32(4, f.errno ?? 0, true);
  dv.setInt32(8, f.code, true);
  if (f.addr !== undefined) {
    dv.setBigUint64(16, BigInt(f.addr), true);
    return b;
  }
  dv.setInt32(16, f.pid ?? 0, true);
  dv.setUint32(20, f.uid ?? 0, true);
  if (f.status !== undefined) dv.setInt32(24, f.status, true);
  else if (f.value !== undefined) dv.setBigUint64(24, f.value, true);
  return b;
}

export function siginfoSigno(b: Uint8Array): number {
  return new DataView(b.buffer, b.byteOffset, SIGINFO_SIZE).getInt32(0, true);
}
