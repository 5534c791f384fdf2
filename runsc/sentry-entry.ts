// The Sentry's own entry point, bundled by `npm run build` as one CommonJS
// script (dist/bundle/sentry.cjs) that runsc/loader.ts compiles with
// a V8 code cache. It takes the command line runsc/sandbox.ts gives
// `runsc boot` but parses it with node:util, not commander: the Sentry is on
// the sandbox's critical path and only runsc starts it.
import { parseArgs } from 'node:util';
import { CHILD_GLOBAL_OPTIONS } from './child-options.js';
import { runBootCommand } from './boot-command.js';
import type { CodeCacheState } from './loader.js';

// For the front (runsc/front.ts), which runs the sandbox in its own process.
export { bootSandbox } from './boot-command.js';

export function main(argv: string[], codeCache: CodeCacheState): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...CHILD_GLOBAL_OPTIONS,
      spec: { type: 'string' }, 'control-fd': { type: 'string' },
      // The spec comes on the control channel (runsc/early-sentry.ts).
      'spec-on-control': { type: 'boolean', default: false },
    },
  });
  const onControl = values['spec-on-control'] === true;
  if (positionals.length !== 1 || positionals[0] !== 'boot' || (values.spec === undefined) === !onControl) {
    process.stderr.write('runsc: the Sentry entry takes: [global options] boot (--spec <file> | --spec-on-control) [--control-fd <fd>]\n');
    process.exit(2);
  }
  const controlFd = values['control-fd'];
  runBootCommand({
    spec: onControl ? undefined : values.spec, controlFd: controlFd === undefined ? undefined : Number(controlFd),
    debug: values.debug === true, debugLog: values['debug-log'], strace: values.strace === true, codeCache,
  });
}
