// The npm registry this project's machines reach serves only the linux-x64
// builds of packages that ship one package per platform (rollup, esbuild).
// `npm install` then leaves the other platforms' optional dependencies out
// of package-lock.json, and `npm ci` refuses the lock as out of sync. This
// adds those entries back, marked optional with their os/cpu, so `npm ci`
// skips them on this platform as it would with a complete registry.
// Run after any change to dependencies: node scripts/lock-platform-optionals.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const pkgs = lock.packages;

const OS = ['android', 'darwin', 'freebsd', 'linux', 'openbsd', 'netbsd', 'sunos', 'win32', 'aix', 'openharmony', 'wasi'];
const CPU = ['arm64', 'arm', 'x64', 'ia32', 'loong64', 'ppc64', 'riscv64', 's390x', 'mips64el', 'wasm32'];

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p)) ?? (parts.includes('win32') ? 'win32' : undefined);
  const cpu = parts.find((p) => CPU.includes(p)) ?? (parts.includes('x64') ? 'x64' : undefined);
  const libc = parts.includes('musl') ? 'musl' : parts.includes('gnu') || parts.includes('gnueabihf') ? 'glibc' : undefined;
  return { os, cpu, libc };
}

let added = 0;
for (const [key, entry] of Object.entries(pkgs)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const at = `node_modules/${dep}`;
    if (pkgs[at]) continue;
    const { os, cpu, libc } = platformOf(dep);
    pkgs[at] = { version, dev: entry.dev, optional: true, ...(os ? { os: [os] } : {}), ...(cpu ? { cpu: [cpu] } : {}), ...(libc ? { libc: [libc] } : {}) };
    if (!entry.dev) delete pkgs[at].dev;
    added++;
    void key;
  }
}
writeFileSync(path, JSON.stringify(lock, null, 2) + '\n');
console.log(`added ${added} optional platform entries`);
