// runsc's entry. A plain `run` or `do` (runsc/fast-path.ts) spawns the
// Sentry before anything else is loaded, so that its start overlaps the
// CLI's (runsc/early-sentry.ts), then starts the sandbox without loading
// commander; any other command line goes to runsc/cli.ts (commander).
import { startEarlySentry } from './early-sentry.js';
import { parseFastCommandLine } from './fast-path.js';

/** Runs runsc with process.argv. */
export async function main(): Promise<void> {
  const fast = parseFastCommandLine(process.argv.slice(2));
  if (fast === null) {
    const { runCli } = await import('./cli.js');
    await runCli(process.argv);
    return;
  }
  startEarlySentry(fast);
  const { doCommand, logCommand, runCommand } = await import('./commands.js');
  await logCommand(fast.globals, fast.command);
  const code = fast.command === 'do'
    ? await doCommand(fast.cmd, fast.args, fast.cwd, fast.overlay, fast.globals)
    : await runCommand(fast.id, fast.bundle, fast.globals);
  // The sandbox and its state are gone: nothing is left to wait for, and
  // letting Node wind its handles down took ~10 ms more.
  process.exit(code);
}
