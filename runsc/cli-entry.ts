// The CLI's entry point for runsc/loader.ts: `npm run build` bundles the
// whole CLI as one CommonJS script (dist/bundle/cli.cjs) that the loader
// compiles with a V8 code cache, as it does the Sentry and the Gofer;
// bin/runsc.js starts it. An ES-module entry cost ~7 ms more and its
// chunks ~20 ms of module loading before the Sentry's and the Gofer's
// spawns (docs/design/startup.md).
import type { CodeCacheState } from './loader.js';
import { main as runscMain } from './main.js';

export function main(_argv: string[], _codeCache: CodeCacheState): void {
  // runsc reads process.argv itself, as commander does.
  void runscMain().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  });
}
