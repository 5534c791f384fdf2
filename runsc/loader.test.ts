// The loader's code caches (runsc/loader.ts): checked by V8 against the
// source, and rewritten by a training run with what the run compiled. Runs
// on a copy of the built bundle inside dist/, where koffi still resolves.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, openSync, closeSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { compileBundle as CompileBundle } from './loader.js';
import { TRAIN_CODE_CACHE_FLAG } from './child-options.js';

const BUILT = resolve('dist/bundle');
const COPY = resolve(`dist/loader-test-${process.pid}`);

describe.skipIf(!existsSync(join(BUILT, 'loader.cjs')))('the loader\'s code caches', () => {
  cpSync(BUILT, COPY, { recursive: true });
  afterAll(() => rmSync(COPY, { recursive: true, force: true }));
  const { compileBundle } = createRequire(import.meta.url)(join(COPY, 'loader.cjs')) as { compileBundle: typeof CompileBundle };
  const cache = join(COPY, 'sentry.cjs.cache');

  /** How a fresh Node compiles the Sentry's bundle (V8 caches compilations per process, so each check needs its own). */
  function cacheState(): string {
    const r = spawnSync(process.execPath, ['-e', `process.stdout.write(require(${JSON.stringify(join(COPY, 'loader.cjs'))}).compileBundle(${JSON.stringify(COPY)}, 'sentry').codeCache)`],
      { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    return r.stdout;
  }

  /** Runs the Sentry's entry through the loader with an empty control channel: it loads, finds no spec, exits 0. */
  function runSentry(...loaderFlags: string[]): void {
    const control = openSync('/dev/null', 'r');
    try {
      const r = spawnSync(process.execPath, [join(COPY, 'loader.cjs'), 'sentry', ...loaderFlags, 'boot', '--control-fd', '3', '--spec-on-control'],
        { stdio: ['ignore', 'pipe', 'pipe', control], encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    } finally {
      closeSync(control);
    }
  }

  // V8's checks are its header's (magic, version, source, flags, length): a
  // cache cut short (a training run's write seen half done) or not a cache
  // at all is rejected. A payload corrupted behind a good header is not
  // caught, and V8 aborts; only a write to dist/bundle could make one.
  it('accepts the built cache, rejects a cut or foreign one and compiles without one', () => {
    expect(cacheState()).toBe('accepted');
    const good = readFileSync(cache);
    writeFileSync(cache, good.subarray(0, good.length >> 1));
    expect(cacheState()).toBe('rejected');
    writeFileSync(cache, Buffer.alloc(good.length, 0x5a));
    expect(cacheState()).toBe('rejected');
    rmSync(cache);
    expect(cacheState()).toBe('missing');
    writeFileSync(cache, good);
  });

  it('rewrites the cache at the end of a training run, with more than the top level', () => {
    const topLevel = compileBundle(COPY, 'sentry', false);
    topLevel.load();
    const topLevelSize = topLevel.script.createCachedData().length;
    writeFileSync(cache, 'not a cache');
    runSentry();
    expect(readFileSync(cache, 'utf8')).toBe('not a cache'); // an ordinary run leaves it alone
    runSentry(TRAIN_CODE_CACHE_FLAG);
    expect(cacheState()).toBe('accepted');
    expect(statSync(cache).size).toBeGreaterThan(topLevelSize);
  });
});
