// Where the sandbox is known to differ from Linux, case by case. The runner
// checks each entry on every run: the listed line must still differ from the
// native one, and the sandbox must print exactly `sandbox`. When a fix makes
// the sandbox agree, the test fails until the entry is removed, so this list
// only shrinks. Add an entry only for a bug outside test/syscalls' reach
// (with where it lives), never to hide a broken test.

export type Linkage = 'static' | 'dynamic';

export interface KnownDifference {
  /** The program (file name without .c). */
  program: string;
  /** The key of the line that differs. */
  key: string;
  /** What the sandbox prints for it today. */
  sandbox: string;
  /** Only for this linkage; both when absent. */
  linkage?: Linkage;
  /** Why, and where the fix belongs. */
  reason: string;
}

const COARSE = 'the sandbox\'s *_COARSE clocks read the fine clock, so clock_getres reports 1 ns where Linux reports its tick '
  + '(1/HZ, e.g. 4 ms); the host\'s tick is not known without a host clock_getres binding in host/';

const GOFER_SETID = 'the Gofer strips set-user-ID and set-group-ID bits from every mode it is given (hardening: no set-id file is ever made on '
  + 'the host), so the bits set by chmod through a Gofer mount are gone; a Sentry-side record of them would be the fix';

const READ_CONSUMES = 'read(2) into a bad buffer: the Sentry reads from the file into its own buffer, then fails the copy-out with EFAULT, so a '
  + 'pipe has lost the bytes; Linux copies straight from the pipe buffer and consumes nothing it could not copy. The fix belongs in the read '
  + 'path (syscalls/file.ts): probe the destination before reading from a file that cannot rewind';
const PROC_FD_MAGIC = '/proc/self/fd/N is an ordinary symlink to its text ("pipe:[ino]") in the sandbox; on Linux it is a magic link that '
  + 'opens the file itself, so a pipe end can be reopened through it. The fix belongs in the path walk (sentry/vfs) with procfs';

const NO_SIGBUS = 'a file mapping read past the page that holds the end of the file gives zeros in the sandbox; Linux raises SIGBUS '
  + '(BUS_ADRERR at the address). The fix belongs in the mm fault path (sentry/mm): fault in a file page beyond EOF as SIGBUS';

const FUTEX_KEYS = 'futex keys are MemoryFile offsets for private and shared operations alike, so a FUTEX_WAKE_PRIVATE on a MAP_SHARED '
  + 'word wakes a shared waiter in another process; Linux keys a private futex by (mm, address), apart from the shared key. The fix '
  + 'belongs in syscalls/futex.ts and sentry/kernel/futex.ts: a private key per address space';


export const KNOWN_DIFFERENCES: KnownDifference[] = [
  { program: 'attrs', key: 'chmod_setid_mode', sandbox: '1005', reason: GOFER_SETID },
  { program: 'attrs', key: 'setgid_without_gexec_mode', sandbox: '485', reason: GOFER_SETID },
  { program: 'rename', key: 'exchange_files', sandbox: '-1 EINVAL', reason: 'RENAME_EXCHANGE on a Gofer mount: 9P2000.L\'s Trenameat has no flags (gVisor\'s gofer answers EINVAL too); tmpfs and the overlay exchange. The fix needs a renameat2 message in gofer/p9' },
  { program: 'ioctl', key: 'fs_ioc_getflags', sandbox: '-1 ENOTTY', reason: 'file-system ioctls (FS_IOC_GETFLAGS, lsattr\'s) do not cross to the Gofer: 9P has no message for them' },
  { program: 'time', key: 'getres_clock_5', sandbox: '0.000000001', reason: COARSE },
  { program: 'time', key: 'getres_clock_6', sandbox: '0.000000001', reason: COARSE },
  { program: 'pipe', key: 'byte_kept_after_efault', sandbox: '-1 EAGAIN', reason: READ_CONSUMES },
  { program: 'pipe', key: 'reopen_write_end', sandbox: '-1 ENOENT', reason: PROC_FD_MAGIC },
  { program: 'pipe', key: 'read_via_reopened', sandbox: '-1 EAGAIN', reason: PROC_FD_MAGIC },
  { program: 'faults', key: 'sigbus_signo', sandbox: '0', reason: NO_SIGBUS },
  { program: 'faults', key: 'sigbus_code', sandbox: '0', reason: NO_SIGBUS },
  { program: 'faults', key: 'sigbus_addr_offset', sandbox: '-1 0', reason: NO_SIGBUS },
  { program: 'threads', key: 'robust_owner_died', sandbox: '2', reason: 'a process-shared robust mutex (in a MAP_SHARED mapping) whose holder process exits: the waiter in another process times out (ETIMEDOUT) instead of getting EOWNERDEAD, so the lock word is not marked FUTEX_OWNER_DIED at the holder\'s exit. Not yet diagnosed; the fix belongs in sentry/kernel/robust-list.ts or in how the holder\'s exit reaches it' },
  { program: 'futex', key: 'requeue_same_address_pi', sandbox: '-1 ENOSYS', reason: 'FUTEX_CMP_REQUEUE_PI (and FUTEX_WAIT_REQUEUE_PI) have no implementation in syscalls/futex.ts: ENOSYS before any argument check' },
  { program: 'futex', key: 'private_wake_misses_other_process', sandbox: '1', reason: FUTEX_KEYS },
  { program: 'futex', key: 'shared_waiter_timed_out', sandbox: '1', reason: FUTEX_KEYS },
];

export function knownFor(program: string, linkage: Linkage): KnownDifference[] {
  return KNOWN_DIFFERENCES.filter((k) => k.program === program && (k.linkage === undefined || k.linkage === linkage));
}
