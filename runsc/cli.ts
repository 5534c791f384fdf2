// runsc: the runc-compatible command line (runsc/main.ts loads it unless the
// fast path, runsc/fast-path.ts, took a plain run/do). `run` and `do` start a
// sandbox in the foreground; `gofer` and `boot` are the two halves runsc
// starts itself.
import { Command, Option } from 'commander';
import type { GlobalOptions } from './sandbox.js';
import { DEFAULT_ROOT, NETWORKS, PLATFORMS } from './fast-path.js';
import { doSpec, readBundleSpec } from './oci-config.js';
import type { Support } from '../syscalls/types.js';

// Each command imports what it needs when it runs: the bundle splits at
// these dynamic imports (scripts/bundle.mjs), so the CLI, the Gofer and the
// Sentry each load only their own code (docs/design/startup.md).

const program = new Command();
program
  .name('runsc')
  .description('A user-space application kernel for containers (gVisor-style), runc-compatible')
  .option('--root <dir>', 'state directory for containers', DEFAULT_ROOT)
  .option('--debug', 'log debug messages', false)
  .option('--debug-log <dir>', 'write pino JSON logs, one file per component, to this directory')
  .option('--strace', 'log every system call the application makes', false)
  .addOption(new Option('--platform <name>', 'how application code runs').choices(PLATFORMS).default('ptrace'))
  .addOption(new Option('--network <mode>', 'network mode').choices(NETWORKS).default('sandbox'))
  .option('--overlay', 'keep changes to the root in memory, over a read-only root (always on for `do`)', false)
  // Flags Docker and containerd pass to every runtime.
  .option('--log <file>', 'runtime log file (accepted for runc compatibility)')
  .option('--log-format <fmt>', 'runtime log format (accepted for runc compatibility)')
  .option('--systemd-cgroup', 'accepted for runc compatibility', false)
  .enablePositionalOptions()
  .showHelpAfterError();

function globals(): GlobalOptions {
  const o = program.opts();
  return { root: o.root, debug: o.debug, debugLog: o.debugLog, strace: o.strace, platform: o.platform, network: o.network, overlay: o.overlay };
}

function die(message: string, code = 1): never {
  process.stderr.write(`runsc: ${message}\n`);
  process.exit(code);
}

program.command('run')
  .description('create and run a container in the foreground')
  .option('-b, --bundle <dir>', 'path to the OCI bundle', '.')
  .option('--detach', 'not supported yet', false)
  .argument('<container-id>')
  .action(async (id: string, opts: { bundle: string; detach: boolean }) => {
    if (opts.detach) die('run --detach is not supported yet');
    const spec = readBundleSpec(opts.bundle);
    if (spec === null) process.exit(1);
    const { runCommand } = await import('./commands.js');
    process.exitCode = await runCommand(id, spec, globals());
  });

program.hook('preAction', async (_cmd, action) => {
  const g = globals();
  if (!g.debug && !g.debugLog) return;
  const { logCommand } = await import('./commands.js');
  await logCommand(g, action.name());
});

program.command('do')
  .description('run a host command in a sandbox whose root is the host root, read-only')
  .option('--cwd <dir>', 'working directory in the sandbox', process.cwd())
  .option('--no-overlay', 'serve the host root read-only instead of keeping changes in memory')
  .argument('<cmd>')
  .argument('[args...]')
  .passThroughOptions()
  .action(async (cmd: string, args: string[], opts: { cwd: string; overlay: boolean }) => {
    const { doCommand } = await import('./commands.js');
    process.exitCode = await doCommand(doSpec(cmd, args, opts.cwd), opts.overlay, globals());
  });

program.command('syscalls')
  .description('list the x86-64 system calls and whether the Sentry implements each (supported, partial, unimplemented)')
  .addOption(new Option('--format <format>', 'output format').choices(['text', 'markdown', 'json']).default('text'))
  .addOption(new Option('--support <support>', 'only syscalls with this support').choices(['supported', 'partial', 'unimplemented']))
  .action(async (opts: { format: 'text' | 'markdown' | 'json'; support?: Support }) => {
    const { renderSyscallDoc, renderSyscallJson, renderSyscallText } = await import('../syscalls/docs.js');
    if (opts.format === 'markdown') process.stdout.write(renderSyscallDoc());
    else if (opts.format === 'json') process.stdout.write(renderSyscallJson());
    else process.stdout.write(renderSyscallText(opts.support ?? null));
  });

program.command('gofer', { hidden: true })
  .description('serve file systems over 9P2000.L (started by runsc)')
  .requiredOption('--spec <file>')
  .action(async (opts: { spec: string }) => {
    const g = globals();
    const { runGoferCommand } = await import('./gofer-command.js');
    runGoferCommand({ spec: opts.spec, debug: g.debug, debugLog: g.debugLog });
  });

program.command('boot', { hidden: true })
  .description('run the Sentry (started by runsc)')
  .requiredOption('--spec <file>')
  .option('--control-fd <fd>', 'fd on which runsc forwards signals, one byte each')
  .action(async (opts: { spec: string; controlFd?: string }) => {
    const g = globals();
    const { runBootCommand } = await import('./boot-command.js');
    runBootCommand({ spec: opts.spec, controlFd: opts.controlFd === undefined ? undefined : Number(opts.controlFd), debug: g.debug, debugLog: g.debugLog, strace: g.strace });
  });

/** Parses argv (process.argv's shape) and runs the command. */
export async function runCli(argv: string[]): Promise<void> {
  await program.parseAsync(argv);
}
