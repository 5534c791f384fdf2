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

const NO_HANDLER = 'no handler in syscalls/table.ts yet (ENOSYS)';
const COARSE = 'the sandbox\'s *_COARSE clocks read the fine clock, so clock_getres reports 1 ns where Linux reports its tick '
  + '(1/HZ, e.g. 4 ms); the host\'s tick is not known without a host clock_getres binding in host/';

export const KNOWN_DIFFERENCES: KnownDifference[] = [
  { program: 'fileio', key: 'preadv2_at_200', sandbox: '-1 ENOSYS', reason: `preadv2: ${NO_HANDLER}` },
  { program: 'fileio', key: 'preadv2_cur_offset', sandbox: '-1 ENOSYS', reason: `preadv2: ${NO_HANDLER}` },
  { program: 'ioctl', key: 'fs_ioc_getflags', sandbox: '-1 ENOTTY', reason: 'file-system ioctls (FS_IOC_GETFLAGS, lsattr\'s) do not cross to the Gofer: 9P has no message for them' },
  { program: 'getdents', key: 'getdents_old', sandbox: '-1 ENOSYS', reason: `getdents (78, struct linux_dirent): ${NO_HANDLER}` },
  { program: 'mm', key: 'mprotect_across_hole_first_page', sandbox: 'rw', reason: 'AddressSpace.mprotect checks the whole range for holes before it changes anything; Linux changes the VMAs before the hole, then fails with ENOMEM. Repro: p = mmap(3 pages, RW); munmap(p+4096, 4096); mprotect(p, 3*4096, PROT_READ) = ENOMEM, then p is read-only on Linux, still writable in the sandbox' },
  { program: 'time', key: 'getres_clock_5', sandbox: '0.000000001', reason: COARSE },
  { program: 'time', key: 'getres_clock_6', sandbox: '0.000000001', reason: COARSE },
];

export function knownFor(program: string, linkage: Linkage): KnownDifference[] {
  return KNOWN_DIFFERENCES.filter((k) => k.program === program && (k.linkage === undefined || k.linkage === linkage));
}
