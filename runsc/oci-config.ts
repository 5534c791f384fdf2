// Reading an OCI runtime spec (config.json). Every malformed field is a
// one-line error that names it: ConfigError's message is what runsc prints.
import { readFileSync } from 'node:fs';
import { hostname as hostHostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { RLIMIT_NAMES } from '../sentry/kernel/rlimits.js';

export class ConfigError extends Error {}

export interface OciMount { destination: string; type: string; source: string; options: string[] }

export interface OciSpec {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  terminal: boolean;
  /** process.noNewPrivileges: the container's processes start with no_new_privs (set-id bits do nothing). */
  noNewPrivileges: boolean;
  rlimits: Array<{ resource: number; soft: bigint; hard: bigint }>;
  rootPath: string;
  rootReadonly: boolean;
  hostname: string;
  mounts: OciMount[];
}

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(field: string, why: string): never {
  throw new ConfigError(`config.json: ${field}: ${why}`);
}

function str(obj: Record<string, Json>, key: string, field: string, optional = false): string | undefined {
  const v = obj[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string') fail(field, v === undefined ? 'missing' : 'must be a string');
  return v;
}

function uint(v: Json, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) fail(field, 'must be a non-negative 32-bit integer');
  return v;
}

function strArray(v: Json, field: string): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) fail(field, 'must be an array of strings');
  return v as string[];
}

/** Parses and checks a config.json text. bundle resolves a relative root.path. */
export function parseOciSpec(text: string, bundle: string): OciSpec {
  let doc: Json;
  try { doc = JSON.parse(text); } catch (e) { throw new ConfigError(`config.json: not valid JSON: ${(e as Error).message}`); }
  if (!isObject(doc)) fail('(top level)', 'must be an object');
  if (doc.ociVersion !== undefined && typeof doc.ociVersion !== 'string') fail('ociVersion', 'must be a string');
  const proc = doc.process;
  if (!isObject(proc)) fail('process', proc === undefined ? 'missing' : 'must be an object');
  const args = strArray(proc.args, 'process.args');
  if (args.length === 0) fail('process.args', 'must not be empty');
  const env = proc.env === undefined ? [] : strArray(proc.env, 'process.env');
  const cwd = str(proc, 'cwd', 'process.cwd', true) ?? '/';
  if (!cwd.startsWith('/')) fail('process.cwd', 'must be an absolute path');
  const terminal = proc.terminal ?? false;
  if (typeof terminal !== 'boolean') fail('process.terminal', 'must be a boolean');
  const noNewPrivileges = proc.noNewPrivileges ?? false;
  if (typeof noNewPrivileges !== 'boolean') fail('process.noNewPrivileges', 'must be a boolean');
  let uid = 0, gid = 0, additionalGids: number[] = [];
  if (proc.user !== undefined) {
    if (!isObject(proc.user)) fail('process.user', 'must be an object');
    uid = proc.user.uid === undefined ? 0 : uint(proc.user.uid, 'process.user.uid');
    gid = proc.user.gid === undefined ? 0 : uint(proc.user.gid, 'process.user.gid');
    if (proc.user.additionalGids !== undefined) {
      if (!Array.isArray(proc.user.additionalGids)) fail('process.user.additionalGids', 'must be an array');
      additionalGids = proc.user.additionalGids.map((g, i) => uint(g, `process.user.additionalGids[${i}]`));
    }
  }
  const rlimits: OciSpec['rlimits'] = [];
  if (proc.rlimits !== undefined) {
    if (!Array.isArray(proc.rlimits)) fail('process.rlimits', 'must be an array');
    proc.rlimits.forEach((r, i) => {
      const f = `process.rlimits[${i}]`;
      if (!isObject(r)) fail(f, 'must be an object');
      const type = str(r, 'type', `${f}.type`)!;
      const resource = RLIMIT_NAMES[type];
      if (resource === undefined) fail(`${f}.type`, `unknown limit ${JSON.stringify(type)}`);
      const num = (k: string): bigint => {
        const v = r[k];
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(`${f}.${k}`, 'must be a non-negative integer');
        return v >= 2 ** 64 - 1 ? 0xffff_ffff_ffff_ffffn : BigInt(v);
      };
      const soft = num('soft'), hard = num('hard');
      if (soft > hard) fail(`${f}.soft`, 'is above hard');
      rlimits.push({ resource, soft, hard });
    });
  }
  const root = doc.root;
  if (!isObject(root)) fail('root', root === undefined ? 'missing' : 'must be an object');
  const rootPathRaw = str(root, 'path', 'root.path')!;
  if (rootPathRaw === '') fail('root.path', 'must not be empty');
  const rootReadonly = root.readonly ?? false;
  if (typeof rootReadonly !== 'boolean') fail('root.readonly', 'must be a boolean');
  const hostname = doc.hostname === undefined ? '' : str(doc, 'hostname', 'hostname')!;
  const mounts: OciMount[] = [];
  if (doc.mounts !== undefined) {
    if (!Array.isArray(doc.mounts)) fail('mounts', 'must be an array');
    doc.mounts.forEach((m, i) => {
      const f = `mounts[${i}]`;
      if (!isObject(m)) fail(f, 'must be an object');
      const destination = str(m, 'destination', `${f}.destination`)!;
      if (!destination.startsWith('/')) fail(`${f}.destination`, 'must be an absolute path');
      const options = m.options === undefined ? [] : strArray(m.options, `${f}.options`);
      mounts.push({ destination, type: str(m, 'type', `${f}.type`, true) ?? '', source: str(m, 'source', `${f}.source`, true) ?? '', options });
    });
  }
  return {
    args, env, cwd, uid, gid, additionalGids, terminal, noNewPrivileges, rlimits,
    rootPath: isAbsolute(rootPathRaw) ? rootPathRaw : resolve(bundle, rootPathRaw),
    rootReadonly, hostname, mounts,
  };
}

export function readOciSpec(bundle: string): OciSpec {
  let text: string;
  try { text = readFileSync(resolve(bundle, 'config.json'), 'utf8'); } catch (e) {
    throw new ConfigError(`config.json: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseOciSpec(text, bundle);
}

/** A bind mount served by its own Gofer connection. */
export function isBindMount(m: OciMount): boolean {
  return m.type === 'bind' || m.options.includes('bind') || m.options.includes('rbind');
}

/** The Gofer connections a sandbox of spec needs: its root's and one per bind mount (runsc/sandbox.ts). */
export function goferConnections(spec: OciSpec): number {
  return 1 + spec.mounts.filter(isBindMount).length;
}

/** readOciSpec of bundleDir, or null once a broken config.json's one-line error is printed. */
export function readBundleSpec(bundleDir: string): OciSpec | null {
  try {
    return readOciSpec(resolve(bundleDir));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`runsc: ${e.message}\n`);
    return null;
  }
}

/** The spec of `runsc do CMD ARGS...`: the host command, with runsc's environment, ids and cwd, on the host's root, read-only. */
export function doSpec(cmd: string, args: string[], cwd: string): OciSpec {
  return {
    args: [cmd, ...args], env: Object.entries(process.env).map(([k, v]) => `${k}=${v}`), cwd,
    uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, additionalGids: [], terminal: false, noNewPrivileges: false, rlimits: [],
    rootPath: '/', rootReadonly: true, hostname: hostHostname(), mounts: [],
  };
}
