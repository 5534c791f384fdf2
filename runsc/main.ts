// runsc's entry. A plain `run` or `do` (runsc/fast-path.ts) reads its spec
// and spawns the Sentry before the rest is loaded, so that its start
// overlaps the CLI's (runsc/early-sentry.ts), then starts the sandbox
// without loading commander; any other command line goes to runsc/cli.ts
// (commander).
import { startEarlySentry } from './early-sentry.js';
import { parseFastCommandLine } from './fast-path.js';
import { doSpec, goferConnections, readBundleSpec } from './oci-config.js';

/** Runs runsc with process.argv. */
export async function main(): Promise<void> {
  const fast = parseFastCommandLine(process.argv.slice(2));
  if (fast === null) {
    const { runCli } = await import('./cli.js');
    await runCli(process.argv);
    return;
  }
  const spec = fast.command === 'do' ? doSpec(fast.cmd, fast.args, fast.cwd) : readBundleSpec(fast.bundle);
  if (spec === null) process.exit(1);
  startEarlySentry(goferConnections(spec));
  const { doCommand, logCommand, runCommand } = await import('./commands.js');
  await logCommand(fast.globals, fast.command);
  const code = fast.command === 'do'
    ? await doCommand(spec, fast.overlay, fast.globals)
    : await runCommand(fast.id, spec, fast.globals);
  // The sandbox and its state are gone: nothing is left to wait for, and
  // letting Node wind its handles down took ~10 ms more.
  process.exit(code);
}
