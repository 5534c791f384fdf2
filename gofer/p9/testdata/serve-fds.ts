// Child-process entry for the end-to-end test: serves the GoferConfig in
// $GOFER_TEST_CONFIG on the fds it inherited, then exits when all peers close.
// Prints "ready" first so the parent knows the blocking loop is about to run.

import { writeSync } from 'node:fs';
import { runGofer, type GoferConfig } from '../main.js';

const cfg = JSON.parse(process.env.GOFER_TEST_CONFIG ?? '{}') as GoferConfig;
writeSync(1, 'ready\n');
runGofer(cfg);
writeSync(1, 'done\n');
process.exit(0);
