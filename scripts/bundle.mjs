// Bundles the compiled CLI (dist/runsc/main.js and everything it imports)
// into one file: runsc starts three Node processes (CLI, Gofer, Sentry), and
// resolving and parsing ~90 modules costs each of them ~100 ms; one file
// costs a fraction of that. Dependencies with native parts stay external.
import { buildSync } from 'esbuild';

buildSync({
  entryPoints: ['dist/runsc/main.js'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: 'dist/runsc.mjs',
  external: ['koffi', 'pino', 'commander'],
  logLevel: 'warning',
});
