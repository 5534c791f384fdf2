// Starts the Sentry from a V8 code cache. Node 20 has no compile cache for
// modules, and compiling the ~750 KB Sentry bundle is a large part of its
// start, which is on the sandbox's critical path (docs/design/startup.md).
// vm.Script takes cachedData, so the Sentry is also bundled as one CommonJS
// script (dist/bundle/sentry.cjs) and `npm run build` writes its code cache
// beside it (sentry.cjs.cache, from compileSentry below, so the wrapper text
// is the same). V8 checks the cache against the source and its own version
// and flags and rejects a stale one: then it compiles as usual, which costs
// only time. This file is bundled to dist/bundle/sentry-loader.cjs, which
// runsc/sandbox.ts starts as `runsc boot`.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Script } from 'node:vm';
import type { CodeCacheState } from './sentry-entry.js';

export const SENTRY_SCRIPT = 'sentry.cjs';
export const SENTRY_CACHE = 'sentry.cjs.cache';

interface SentryExports { main(argv: string[], codeCache: CodeCacheState): void }
interface CommonJsModule { exports: Partial<SentryExports> }
type Wrapper = (exports: CommonJsModule['exports'], require: NodeJS.Require, module: CommonJsModule, filename: string, dirname: string) => void;

export interface CompiledSentry {
  script: Script;
  codeCache: CodeCacheState;
  /** Runs the bundle's top level (defines everything, starts nothing) and returns its exports. */
  load(): SentryExports;
}

/** Compiles dir/sentry.cjs, with dir/sentry.cjs.cache when there is one (cache: false ignores it). */
export function compileSentry(dir: string, cache = true): CompiledSentry {
  const filename = join(dir, SENTRY_SCRIPT);
  const source = readFileSync(filename, 'utf8');
  let cachedData: Buffer | undefined;
  if (cache) {
    try { cachedData = readFileSync(join(dir, SENTRY_CACHE)); } catch { /* not built: compile without */ }
  }
  // The same wrapper as Node's CommonJS loader, so the bundle runs as a module would.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename, cachedData });
  const codeCache: CodeCacheState = cachedData === undefined ? 'missing' : script.cachedDataRejected === true ? 'rejected' : 'accepted';
  return {
    script, codeCache,
    load(): SentryExports {
      const wrapper = script.runInThisContext() as Wrapper;
      const module: CommonJsModule = { exports: {} };
      wrapper.call(module.exports, module.exports, createRequire(filename), module, filename, dir);
      const { main } = module.exports;
      if (typeof main !== 'function') throw new Error(`${filename} exports no main`);
      return { main };
    },
  };
}

if (require.main === module) {
  const sentry = compileSentry(__dirname);
  sentry.load().main(process.argv.slice(2), sentry.codeCache);
}
