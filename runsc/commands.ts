// What `runsc run` and `runsc do` do once their command line is read, by
// commander (runsc/cli.ts) or by the fast path (runsc/fast-path.ts), and
// their spec with it (runsc/oci-config.ts).
import type { OciSpec } from './oci-config.js';
import { runForeground } from './sandbox.js';
import { doContainerId, type GlobalOptions } from './sandbox-plan.js';

/** The debug log's record of the command (--debug or --debug-log only). */
export async function logCommand(g: GlobalOptions, command: string): Promise<void> {
  if (!g.debug && !g.debugLog) return;
  const { createLogger } = await import('../sentry/log.js');
  createLogger('runsc', { debug: g.debug, debugLog: g.debugLog, strace: false }).debug({ command, argv: process.argv.slice(2) }, 'runsc');
}

/** `runsc run ID`, in the foreground. Returns runsc's exit code. */
export function runCommand(id: string, spec: OciSpec, g: GlobalOptions): Promise<number> {
  return runForeground(id, spec, g);
}

/** `runsc do CMD ARGS...` (spec from doSpec), in the foreground, its container named after this runsc. */
export function doCommand(spec: OciSpec, overlay: boolean, g: GlobalOptions): Promise<number> {
  return runForeground(doContainerId(), spec, g, overlay);
}
