// Bundles the compiled CLI (dist/runsc/main.js and everything it imports)
// into dist/bundle/: runsc starts four Node processes (CLI, the Gofer twice
// across its re-exec into its jail, Sentry), and resolving and parsing ~90
// separate modules would cost each of them ~100 ms. The bundle is split at
// runsc/main.ts's dynamic imports, so each process parses only the chunks
// its command needs: the Gofer never loads the Sentry, the CLI neither
// (docs/design/startup.md). commander is bundled too; koffi stays external
// for its native part, and pino, which only a loud log loads
// (sentry/log.ts), is resolved from node_modules when it is.
import { buildSync } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';

rmSync('dist/bundle', { recursive: true, force: true });
buildSync({
  entryPoints: { runsc: 'dist/runsc/main.js' },
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: 'dist/bundle',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunk-[hash]',
  external: ['koffi', 'pino'],
  // Bundled CommonJS (commander) calls require() for Node's built-ins.
  banner: { js: "import { createRequire as __runscCreateRequire } from 'node:module'; const require = __runscCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});

// The Gofer's launcher (gofer/launcher-elf.ts), beside the chunk that
// starts it: runsc/sandbox.ts looks for it there.
const { buildLauncherElf } = await import('../dist/gofer/launcher-elf.js');
writeFileSync('dist/bundle/gofer-launcher', buildLauncherElf(), { mode: 0o755 });

// The Sentry and the Gofer's Node stage, each as one CommonJS script with a
// V8 code cache, and the loader that compiles them with it (runsc/loader.ts
// says why). Each cache is made here by the same compileBundle the loader
// runs, after the script's top level has run once, so that it also holds
// the functions the top level compiles lazily. A missing or stale cache
// costs only speed.
for (const name of ['sentry', 'gofer']) {
  buildSync({
    entryPoints: [`dist/runsc/${name}-entry.js`],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: `dist/bundle/${name}.cjs`,
    external: ['koffi', 'pino'],
    // import.meta.url (createRequire for koffi and pino) is the bundle's own file here.
    define: { 'import.meta.url': '__runscImportMetaUrl' },
    banner: { js: "var __runscImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  });
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
  const { resolve } = await import('node:path');
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
  const r = spawnSync(process.execPath, ['bin/runsc.js', 'do', '/bin/sh', '-c', training], {
    env: { ...process.env, RUNSC_TRAIN_CODE_CACHE: '1' }, encoding: 'utf8', timeout: 60_000,
  });
  if (r.status !== 0) {
    const why = r.error?.message ?? (r.stderr.trim().split('\n').pop() || `exit ${r.status ?? r.signal}`);
    console.warn(`bundle: no training run (${why}); the code caches hold the top level only`);
  }
}
