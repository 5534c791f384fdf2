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

const GOFER_SETID = 'the Gofer strips set-user-ID and set-group-ID bits from every mode it is given (hardening: no set-id file is ever made on '
  + 'the host), so the bits set by chmod through a Gofer mount are gone; a Sentry-side record of them would be the fix';

export const KNOWN_DIFFERENCES: KnownDifference[] = [
  { program: 'attrs', key: 'chmod_setid_mode', sandbox: '1005', reason: GOFER_SETID },
  { program: 'attrs', key: 'setgid_without_gexec_mode', sandbox: '485', reason: GOFER_SETID },
  { program: 'rename', key: 'exchange_files', sandbox: '-1 EINVAL', reason: 'RENAME_EXCHANGE on a Gofer mount: 9P2000.L\'s Trenameat has no flags (gVisor\'s gofer answers EINVAL too); tmpfs and the overlay exchange. The fix needs a renameat2 message in gofer/p9' },
  { program: 'ioctl', key: 'fs_ioc_getflags', sandbox: '-1 ENOTTY', reason: 'file-system ioctls (FS_IOC_GETFLAGS, lsattr\'s) do not cross to the Gofer: 9P has no message for them' },
];

export function knownFor(program: string, linkage: Linkage): KnownDifference[] {
  return KNOWN_DIFFERENCES.filter((k) => k.program === program && (k.linkage === undefined || k.linkage === linkage));
}
