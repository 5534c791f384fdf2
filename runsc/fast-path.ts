// Plain `run` and `do` command lines, read without commander. Loading
// commander and the CLI's chunk came between the Sentry's early spawn and
// the Gofer's, on the sandbox's critical path (docs/design/startup.md), so
// runsc/main.ts starts a sandbox straight from what this recognises: the
// global options, `do [--cwd DIR] [--no-overlay] CMD ARGS...` and
// `run [-b|--bundle DIR] ID`, with values as commander accepts them.
// Anything else (help, a bad value, an unknown option, --detach, any other
// command) is null, and commander reads the line, with its own errors and
// help.
import type { GlobalOptions } from './sandbox-plan.js';

export const DEFAULT_ROOT = '/var/run/runsc-ts';
export const PLATFORMS = ['ptrace'] as const;
export const NETWORKS = ['none', 'sandbox', 'host'] as const;

export type FastCommand =
  | { command: 'do'; globals: GlobalOptions; cmd: string; args: string[]; cwd: string; overlay: boolean }
  | { command: 'run'; globals: GlobalOptions; id: string; bundle: string };

// runsc's global options that take a value (runsc/cli.ts); the others are flags.
const VALUE_OPTIONS = new Set(['--root', '--debug-log', '--platform', '--network', '--log', '--log-format']);
const FLAG_OPTIONS = new Set(['--debug', '--strace', '--overlay', '--systemd-cgroup']);

/** An option's name and inline value (`--x=v`), or its name alone. */
function split(a: string): [string, string | undefined] {
  const eq = a.indexOf('=');
  return a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
}

/** Reads a plain run/do command line (process.argv.slice(2)); null for anything else. */
export function parseFastCommandLine(args: readonly string[]): FastCommand | null {
  const g: GlobalOptions = { root: DEFAULT_ROOT, debug: false, strace: false, platform: 'ptrace', network: 'sandbox', overlay: false };
  let i = 0;
  for (; i < args.length; i++) {
    const [name, inline] = split(args[i]);
    if (FLAG_OPTIONS.has(name)) {
      if (inline !== undefined) return null;
      if (name === '--debug') g.debug = true;
      else if (name === '--strace') g.strace = true;
      else if (name === '--overlay') g.overlay = true;
      continue;
    }
    if (!VALUE_OPTIONS.has(name)) break;
    const value = inline ?? args[++i];
    if (value === undefined) return null;
    if (name === '--root') g.root = value;
    else if (name === '--debug-log') g.debugLog = value;
    else if (name === '--platform') { if (!(PLATFORMS as readonly string[]).includes(value)) return null; g.platform = value; }
    else if (name === '--network') { if (!(NETWORKS as readonly string[]).includes(value)) return null; g.network = value; }
  }
  const command = args[i++];
  if (command === 'do') {
    let cwd = process.cwd(), overlay = true;
    for (; i < args.length; i++) {
      const [name, inline] = split(args[i]);
      if (name === '--cwd') {
        const value = inline ?? args[++i];
        if (value === undefined) return null;
        cwd = value;
      } else if (name === '--no-overlay' && inline === undefined) {
        overlay = false;
      } else if (name.startsWith('-')) {
        return null;
      } else {
        break;
      }
    }
    const cmd = args[i];
    if (cmd === undefined) return null;
    return { command: 'do', globals: g, cmd, args: args.slice(i + 1), cwd, overlay };
  }
  if (command === 'run') {
    let bundle = '.';
    const positionals: string[] = [];
    for (; i < args.length; i++) {
      const a = args[i];
      const [name, inline] = split(a);
      if (name === '-b' || name === '--bundle') {
        const value = inline ?? args[++i];
        if (value === undefined) return null;
        bundle = value;
      } else if (a === '--') {
        positionals.push(...args.slice(i + 1));
        break;
      } else if (a.startsWith('-')) {
        return null;
      } else {
        positionals.push(a);
      }
    }
    if (positionals.length !== 1) return null;
    return { command: 'run', globals: g, id: positionals[0], bundle };
  }
  return null;
}
