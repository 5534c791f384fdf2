// What `runsc run` and `runsc do` do once their command line is read, by
// commander (runsc/cli.ts) or by the fast path (runsc/fast-path.ts).
import { hostname as hostHostname } from 'node:os';
import { resolve } from 'node:path';
import { ConfigError, readOciSpec, type OciSpec } from './oci-config.js';
import { runForeground, type GlobalOptions } from './sandbox.js';
import { discardEarlySentry } from './early-sentry.js';

/** The debug log's record of the command (--debug or --debug-log only). */
export async function logCommand(g: GlobalOptions, command: string): Promise<void> {
  if (!g.debug && !g.debugLog) return;
  const { createLogger } = await import('../sentry/log.js');
  createLogger('runsc', { debug: g.debug, debugLog: g.debugLog, strace: false }).debug({ command, argv: process.argv.slice(2) }, 'runsc');
}

/** `runsc run ID` of the bundle in bundleDir, in the foreground. Returns runsc's exit code. */
export async function runCommand(id: string, bundleDir: string, g: GlobalOptions): Promise<number> {
  let spec: OciSpec;
  try {
    spec = readOciSpec(resolve(bundleDir));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // The Sentry started early for this run (runsc/early-sentry.ts) goes first, without a word.
    await discardEarlySentry();
    process.stderr.write(`runsc: ${e.message}\n`);
    return 1;
  }
  return runForeground(id, spec, g);
}

/** `runsc do CMD ARGS...`: the host command in a sandbox whose root is the host's, read-only. */
export function doCommand(cmd: string, args: string[], cwd: string, overlay: boolean, g: GlobalOptions): Promise<number> {
  const spec: OciSpec = {
    args: [cmd, ...args], env: Object.entries(process.env).map(([k, v]) => `${k}=${v}`), cwd,
    uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, additionalGids: [], terminal: false, noNewPrivileges: false, rlimits: [],
    rootPath: '/', rootReadonly: true, hostname: hostHostname(), mounts: [],
  };
  return runForeground(`do-${process.pid}`, spec, g, overlay);
}
