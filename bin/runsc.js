#!/bin/sh
":" //; if [ -n "${NODE_EXTRA_CA_CERTS+set}" ]; then RUNSC_HOST_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export RUNSC_HOST_NODE_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; fi; exec node "$0" "$@"
// The runsc command. The two lines above are for /bin/sh, which runs this
// file when it is executed (npx, Docker's runtime path, a shell): they
// start Node on it without NODE_EXTRA_CA_CERTS, which makes Node parse that
// whole CA bundle before any of our code runs (~50 ms here). runsc makes no
// TLS connection; the variable comes back into process.env below, so that
// `runsc do` still hands it to the application (docs/design/startup.md).
// To Node, the second line is a string and a comment.
//
// The CLI itself is bundled by `npm run build` as one CommonJS script
// (dist/bundle/cli.cjs), run by the loader beside it from a V8 code cache
// (runsc/loader.ts). This file is CommonJS (bin/package.json): an ES-module
// entry cost each start ~7 ms more.
const HOST_CA = 'RUNSC_HOST_NODE_EXTRA_CA_CERTS';
if (process.env[HOST_CA] !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = process.env[HOST_CA];
  delete process.env[HOST_CA];
}
// V8 schedules an idle-time scavenge once the young generation is mostly
// full; in the CLI that came (5-14 ms) while the Sentry and the Gofer were
// starting on the same cores. Without the task the CLI's few MB never need
// one before it exits; a long `run` still scavenges when allocation needs it.
require('v8').setFlagsFromString('--no-minor-gc-task');
require('../dist/bundle/loader.cjs').runBundle('cli', process.argv.slice(2), process.env.RUNSC_TRAIN_CODE_CACHE === '1');
