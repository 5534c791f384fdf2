// Starts the Sentry or the Gofer's second stage from a V8 code cache. Node
// 20 has no compile cache for modules, and compiling the Sentry's ~800 KB
// bundle was a large part of its start, which is on the sandbox's critical
// path, as is the Gofer's (docs/design/startup.md). vm.Script takes
// cachedData, so each is also bundled as one CommonJS script
// (dist/bundle/sentry.cjs, dist/bundle/gofer.cjs) and `npm run build`
// writes its code cache beside it (<name>.cjs.cache, from compileBundle
// below, so the wrapper text is the same). V8 checks a cache against the
// source and its own version and flags and rejects a stale one: then it
// compiles as usual, which costs only time. This file is bundled to
// dist/bundle/loader.cjs; runsc starts `node loader.cjs <name> args...`.
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { TRAIN_CODE_CACHE_FLAG } from './child-options.js';

/**
 * The scripts the loader runs: runsc/sentry-entry.ts, runsc/gofer-entry.ts,
 * the CLI's, runsc/cli-entry.ts, and the front's, runsc/front-entry.ts.
 */
export const BUNDLES = ['sentry', 'gofer', 'cli', 'front'] as const;
export type BundleName = typeof BUNDLES[number];

/** How the loader compiled a script, for the debug log. */
export type CodeCacheState = 'accepted' | 'rejected' | 'missing';

/** A bundle's exports: its main, and whatever else it offers another bundle (the Sentry's, to the front). */
export interface EntryExports { main(argv: string[], codeCache: CodeCacheState): void; readonly [name: string]: unknown }
interface CommonJsModule { exports: Partial<EntryExports> }
type Wrapper = (exports: CommonJsModule['exports'], require: NodeJS.Require, module: CommonJsModule, filename: string, dirname: string) => void;

export interface CompiledBundle {
  script: Script;
  codeCache: CodeCacheState;
  /** Runs the bundle's top level (defines everything, starts nothing) and returns its exports. */
  load(): EntryExports;
}

/** Compiles dir/<name>.cjs, with dir/<name>.cjs.cache when there is one (cache: false ignores it). */
export function compileBundle(dir: string, name: BundleName, cache = true): CompiledBundle {
  const filename = join(dir, `${name}.cjs`);
  const source = readFileSync(filename, 'utf8');
  let cachedData: Buffer | undefined;
  if (cache) {
    try { cachedData = readFileSync(`${filename}.cache`); } catch { /* not built: compile without */ }
  }
  // The same wrapper as Node's CommonJS loader, so the bundle runs as a module would.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename, cachedData });
  const codeCache: CodeCacheState = cachedData === undefined ? 'missing' : script.cachedDataRejected === true ? 'rejected' : 'accepted';
  return {
    script, codeCache,
    load(): EntryExports {
      const wrapper = script.runInThisContext() as Wrapper;
      const module: CommonJsModule = { exports: {} };
      wrapper.call(module.exports, module.exports, createRequire(filename), module, filename, dir);
      if (typeof module.exports.main !== 'function') throw new Error(`${filename} exports no main`);
      return module.exports as EntryExports;
    },
  };
}

/**
 * A training run (`npm run build` makes one, scripts/bundle.mjs) rewrites
 * the bundle's cache as the process exits, with every function the run
 * compiled: a cache of the top level alone left the functions a sandbox
 * runs first (the ELF loader, the VFS walk, the 9P client and server) to
 * be compiled lazily on the critical path (docs/design/startup.md). The
 * file is opened now, while its path resolves: the Gofer chroots.
 */
export function trainOnExit(bundle: CompiledBundle, dir: string, name: BundleName): void {
  const fd = openSync(join(dir, `${name}.cjs.cache`), 'r+');
  process.once('exit', () => {
    const data = bundle.script.createCachedData();
    ftruncateSync(fd, 0);
    writeSync(fd, data, 0, data.length, 0);
    closeSync(fd);
  });
}

/**
 * import() of an ES module, for the CLI's bundle, which leaves some modules
 * out (scripts/bundle.mjs): a script compiled by vm.Script has no import()
 * of its own (Node's hook for it is experimental in Node 20), this module has.
 */
export function importModule(url: string): Promise<unknown> {
  return import(url);
}

/** Compiles and runs a bundle beside the loader; train: rewrite its code cache at exit. */
export function runBundle(name: BundleName, argv: string[], train: boolean): void {
  const bundle = compileBundle(__dirname, name);
  if (train) trainOnExit(bundle, __dirname, name);
  bundle.load().main(argv, bundle.codeCache);
}

// `node loader.cjs <name> [--train-code-cache] args...`: how runsc starts the Sentry and the Gofer.
if (require.main === module) {
  const name = process.argv[2];
  if (!(BUNDLES as readonly string[]).includes(name)) {
    process.stderr.write(`runsc: loader.cjs runs one of ${BUNDLES.join(', ')}, not ${name}\n`);
    process.exit(2);
  }
  const train = process.argv[3] === TRAIN_CODE_CACHE_FLAG;
  runBundle(name as BundleName, process.argv.slice(train ? 4 : 3), train);
}
