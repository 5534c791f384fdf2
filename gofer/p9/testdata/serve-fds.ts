// Child-process entry for the end-to-end test: serves the GoferConfig in
// $GOFER_TEST_CONFIG on the fds it inherited, then exits when all peers close.
// Prints "ready" first so the parent knows the blocking loop is about to run.
// With `confine`, it first confines itself as `runsc gofer` does (the first
// stage re-executes this script; "ready" comes from the second).

import { writeSync } from 'node:fs';
import { enterGoferNamespaces, lockGoferJail } from '../../confine.js';
import { runGofer, type GoferConfig } from '../main.js';

const cfg = JSON.parse(process.env.GOFER_TEST_CONFIG ?? '{}') as GoferConfig & {
  confine?: { jailDir: string; argv: string[] };
};
if (cfg.confine) {
  const mounts = cfg.roots.map((root, i) => ({ hostPath: String(root), readonly: cfg.readonly[i] }));
  const jail = lockGoferJail(enterGoferNamespaces(mounts, cfg.confine.jailDir, { keepFds: cfg.fds, argv: cfg.confine.argv }));
  cfg.roots = jail.roots;
  cfg.procSelfFd = jail.procSelfFd;
}
writeSync(1, 'ready\n');
runGofer(cfg);
writeSync(1, 'done\n');
process.exit(0);
