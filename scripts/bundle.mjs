// Bundles runsc into dist/bundle/: one CommonJS script each for the CLI,
// the Sentry and the Gofer's Node stage (each process loads only its own
// code: the CLI neither the Sentry nor the Gofer, the Gofer not the
// Sentry), the loader that runs each from a V8 code cache
// (runsc/loader.ts), and the Gofer's launcher. Resolving and parsing ~90
// separate modules cost each Node start ~100 ms (docs/design/startup.md).
// commander is bundled too; koffi stays external for its native part, and
// pino, which only a loud log loads (sentry/log.ts), is resolved from
// node_modules when it is.
import { build, buildSync } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';

rmSync('dist/bundle', { recursive: true, force: true });

// import.meta.url (createRequire for koffi and pino; where the loader and
// the launcher are) is the bundle's own file in each CommonJS bundle.
const commonJs = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['koffi', 'pino'],
  define: { 'import.meta.url': '__runscImportMetaUrl' },
  banner: { js: "var __runscImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
};

// What the CLI imports only for commands that bring their own code (the
// syscall table for `syscalls`; the Sentry and the Gofer for the hidden
// `boot` and `gofer`, which the loader replaces once built) or for a
// fallback (the launcher's source when its ELF is missing): left out of
// the CLI's bundle and imported from the compiled dist/ when needed, through
// the loader (runsc/loader.ts importModule: a vm.Script has no import()).
const LEFT_OUT = new Set(['dist/syscalls/docs.js', 'dist/runsc/boot-command.js', 'dist/runsc/gofer-command.js', 'dist/gofer/launcher-elf.js'].map((p) => resolve(p)));
const leaveOut = {
  name: 'leave-out',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.namespace === 'left-out') return { path: args.path, external: true };
      const target = resolve(args.resolveDir, args.path);
      return LEFT_OUT.has(target) ? { path: target, namespace: 'left-out' } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => {
      const beside = JSON.stringify(relative(resolve('dist/bundle'), args.path));
      return {
        // esbuild's import() of a CommonJS module resolves to a copy of its own properties: a
        // thenable of ours survives that (and is then adopted); a Promise would not.
        contents: `const loaded = require('./loader.cjs').importModule(require('node:url').pathToFileURL(require('node:path').join(__dirname, ${beside})).href);\n`
          + 'module.exports = { then: (resolve, reject) => loaded.then(resolve, reject) };',
        loader: 'js', resolveDir: resolve('dist/bundle'),
      };
    });
  },
};
await build({ ...commonJs, entryPoints: ['dist/runsc/cli-entry.js'], outfile: 'dist/bundle/cli.cjs', plugins: [leaveOut] });

// The Gofer's launcher (gofer/launcher-elf.ts), beside the chunk that
// starts it: runsc/sandbox.ts looks for it there.
const { buildLauncherElf } = await import('../dist/gofer/launcher-elf.js');
writeFileSync('dist/bundle/gofer-launcher', buildLauncherElf(), { mode: 0o755 });

// The front's early Gofer (runsc/front.ts): its spec-free launch program,
// ready before runsc starts (one for training runs), and the empty
// directory its jail tmpfs goes over, in its own mount namespace.
{
  const { goferEarlyProgram, capLastCap } = await import('../dist/gofer/jail-plan.js');
  const { EARLY_GOFER_JAIL, earlyGoferArgs } = await import('../dist/runsc/early-gofer.js');
  mkdirSync(resolve('dist/bundle', EARLY_GOFER_JAIL), { recursive: true });
  for (const train of [false, true]) {
    const program = goferEarlyProgram({
      jailDir: resolve('dist/bundle', EARLY_GOFER_JAIL), capLastCap: capLastCap(),
      argv: [process.execPath, resolve('dist/bundle/loader.cjs'), ...earlyGoferArgs(train)], env: [],
    });
    writeFileSync(`dist/bundle/gofer-early${train ? '-train' : ''}`, program.encode());
  }
}

// The Sentry and the Gofer's Node stage, each as one CommonJS script with a
// V8 code cache, and the loader that compiles them with it (runsc/loader.ts
// says why). Each cache is made here by the same compileBundle the loader
// runs, after the script's top level has run once, so that it also holds
// the functions the top level compiles lazily. A missing or stale cache
// costs only speed.
for (const name of ['sentry', 'gofer', 'front']) {
  buildSync({ ...commonJs, entryPoints: [`dist/runsc/${name}-entry.js`], outfile: `dist/bundle/${name}.cjs` });
}
buildSync({
  entryPoints: ['dist/runsc/loader.js'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: 'dist/bundle/loader.cjs',
  logLevel: 'warning',
});
{
  const { createRequire } = await import('node:module');
  const { compileBundle, BUNDLES } = createRequire(import.meta.url)('../dist/bundle/loader.cjs');
  const dir = resolve('dist/bundle');
  for (const name of BUNDLES) {
    const bundle = compileBundle(dir, name, false);
    try {
      bundle.load();
    } catch (e) {
      // koffi unusable here, say: a cache of the compiled top level still helps.
      console.warn(`bundle: ${name}.cjs's top level did not run (${e.message}); its code cache holds less`);
    }
    writeFileSync(`${dir}/${name}.cjs.cache`, bundle.script.createCachedData());
  }
}

// A training run: one real sandbox, whose Sentry and Gofer rewrite those
// caches as they exit, now holding every function the run compiled (the ELF
// loader, the VFS, the 9P client and server, fork, exec, pipes), which a
// cache of the top level leaves to be compiled on each sandbox's critical
// path (runsc/loader.ts, docs/design/startup.md). It needs what a sandbox
// needs (root, ptrace); without them the caches above stay.
{
  const { spawnSync } = await import('node:child_process');
  const training = "cat /etc/hostname > /tmp/train; ls / | wc -l > /dev/null; /bin/true";
  // Twice: through the CLI (`node bin/runsc.js`: cli.cjs), then executed, through the front (front.cjs).
  for (const [cmd, args] of [[process.execPath, ['bin/runsc.js']], ['bin/runsc.js', []]]) {
    const r = spawnSync(cmd, [...args, 'do', '/bin/sh', '-c', training], {
      env: { ...process.env, RUNSC_TRAIN_CODE_CACHE: '1' }, encoding: 'utf8', timeout: 60_000,
    });
    if (r.status !== 0) {
      const why = r.error?.message ?? (r.stderr.trim().split('\n').pop() || `exit ${r.status ?? r.signal}`);
      console.warn(`bundle: no training run through ${[cmd, ...args].join(' ')} (${why}); its code caches hold the top level only`);
    }
  }
}
