// The Gofer's own entry point (its Node stage), bundled by `npm run build`
// as one CommonJS script (dist/bundle/gofer.cjs) that runsc/loader.ts
// compiles with a V8 code cache. It takes the command line runsc/sandbox.ts
// gives `runsc gofer` but parses it with node:util, not commander: since the
// Sentry starts early, the Gofer's start is on the sandbox's critical path.
import { parseArgs } from 'node:util';
import { CHILD_GLOBAL_OPTIONS } from './child-options.js';
import { runEarlyGofer, runGoferCommand } from './gofer-command.js';
import type { CodeCacheState } from './loader.js';

export function main(argv: string[], codeCache: CodeCacheState): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...CHILD_GLOBAL_OPTIONS,
      spec: { type: 'string' },
      // The front's early Gofer (runsc/early-gofer.ts): what to serve comes on fd 3.
      early: { type: 'boolean', default: false },
    },
  });
  if (positionals.length === 1 && positionals[0] === 'gofer' && values.early === true && values.spec === undefined) {
    runEarlyGofer(codeCache);
    return;
  }
  if (positionals.length !== 1 || positionals[0] !== 'gofer' || values.spec === undefined) {
    process.stderr.write('runsc: the Gofer entry takes: [global options] gofer --spec <file>\n');
    process.exit(2);
  }
  runGoferCommand({ spec: values.spec, debug: values.debug === true, debugLog: values['debug-log'], codeCache });
}
