#!/bin/sh
":" //; if [ -n "${NODE_EXTRA_CA_CERTS+set}" ]; then RUNSC_HOST_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export RUNSC_HOST_NODE_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; fi
":" //; case " $* " in *" do "*|*" run "*) [ "${RUNSC_NO_FRONT:-0}" = 1 ] && exec node "$0" "$@";; *) exec node "$0" "$@";; esac
":" //; d=$0; [ -L "$d" ] && d=$(readlink -f "$d"); d=${d%/*}/../dist/bundle; g=; [ -f "$d/gofer-early" ] && { "$d/gofer-launcher" "$d/gofer-early${RUNSC_TRAIN_CODE_CACHE:+-train}" & g=$!; }
":" //; f=${TMPDIR:-/tmp}/runsc-front.$$; exec 9<&0; RUNSC_EARLY_GOFER=$g RUNSC_FRONT_FIFO=$f node "$0" "$@" <&9 9<&- & p=$!; exec 9<&-
":" //; if mkfifo -m 600 "$f" 2>/dev/null && exec 8<>"$f" && [ -p /dev/fd/8 ]; then for s in TERM:17 INT:2 HUP:1 QUIT:3 USR1:12 USR2:14; do trap "printf '\\${s#*:}' >&8" "${s%:*}"; done; fi
":" //; while :; do wait "$p"; r=$?; if [ "$r" -gt 128 ] && kill -0 "$p" 2>/dev/null; then continue; fi; exit "$r"; done
// The runsc command. The lines above are for /bin/sh, which runs this file
// when it is executed (npx, Docker's runtime path, a shell); to Node each is
// a string and a comment.
//
// 1. Node runs without NODE_EXTRA_CA_CERTS, which makes it parse that whole
//    CA bundle before any of our code runs (~50 ms here). runsc makes no TLS
//    connection; the variable comes back into process.env below, so that
//    `runsc do` still hands it to the application.
// 2. A command line that may be a plain `run` or `do` starts the front
//    (runsc/front.ts): Node once, running the Sentry, which does the CLI's
//    work itself, instead of the CLI's Node and then the Sentry's. What Node
//    cannot do while the Sentry's loop runs, sh does: it waits for it and
//    hands on the signals runsc receives, one byte each, on a FIFO (fd 8
//    here) that the front opens and unlinks; mkfifo runs while Node starts.
//    Before Node, they start the Gofer's launcher on a spec-free program
//    (runsc/early-gofer.ts), so that the Gofer's Node starts beside the
//    front's. RUNSC_NO_FRONT=1 skips all this (docs/design/startup.md).
//
// The CLI and the front are bundled by `npm run build` as CommonJS scripts
// (dist/bundle/cli.cjs, front.cjs), run by the loader beside them from a V8
// code cache (runsc/loader.ts). This file is CommonJS (bin/package.json): an
// ES-module entry cost each start ~7 ms more.
const HOST_CA = 'RUNSC_HOST_NODE_EXTRA_CA_CERTS';
if (process.env[HOST_CA] !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = process.env[HOST_CA];
  delete process.env[HOST_CA];
}
// The front takes RUNSC_FRONT_FIFO out of the environment itself.
const front = process.env.RUNSC_FRONT_FIFO !== undefined;
// V8 schedules an idle-time scavenge once the young generation is mostly
// full; in the CLI that came (5-14 ms) while the Sentry and the Gofer were
// starting on the same cores. Without the task the CLI's few MB never need
// one before it exits; a long `run` still scavenges when allocation needs it.
if (!front) require('v8').setFlagsFromString('--no-minor-gc-task');
const loader = require('../dist/bundle/loader.cjs');
const train = process.env.RUNSC_TRAIN_CODE_CACHE === '1';
loader.runBundle(front ? 'front' : 'cli', process.argv.slice(2), train);
