// ptrace(2) and wait(2) for the ptrace platform. Every call here must come
// from the Sentry's main thread: ptrace answers only the tracer thread.
import { libc, check } from './libc.js';

// glibc's ptrace is variadic; on x86-64 a fixed prototype passes the same
// registers. Two prototypes: one whose data is a buffer, one an integer.
const ptraceBuf = libc.func('long ptrace(int request, int pid, uintptr_t addr, _Inout_ uint8_t *data)');
const ptraceVal = libc.func('long ptrace(int request, int pid, uintptr_t addr, uintptr_t data)');
const waitpidFn = libc.func('int waitpid(int pid, _Out_ int *status, int options)');

export function ptraceWithBuffer(request: number, pid: number, addr: number, data: Uint8Array): number {
  return check(ptraceBuf(request, pid, addr, data) as number);
}

export function ptraceWithValue(request: number, pid: number, addr: number, data: number): number {
  return check(ptraceVal(request, pid, addr, data) as number);
}

/** waitpid(2); the status lands in status[0]. Returns pid or -errno. */
export function waitpid(pid: number, status: Int32Array, options: number): number {
  return check(waitpidFn(pid, status, options) as number);
}

export const WNOHANG = 1;
export const WUNTRACED = 2;
export const __WALL = 0x40000000;

export function wIfExited(s: number): boolean { return (s & 0x7f) === 0; }
export function wExitStatus(s: number): number { return (s >> 8) & 0xff; }
export function wIfSignaled(s: number): boolean { return ((s & 0x7f) + 1) >> 1 > 0 && (s & 0x7f) !== 0x7f && (s & 0x7f) !== 0; }
export function wTermSig(s: number): number { return s & 0x7f; }
export function wIfStopped(s: number): boolean { return (s & 0xff) === 0x7f; }
export function wStopSig(s: number): number { return (s >> 8) & 0xff; }
/** The PTRACE_EVENT_* of an event stop, or 0. */
export function wPtraceEvent(s: number): number { return s >>> 16; }
