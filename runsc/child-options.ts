// The global options runsc hands the Gofer and the Sentry on their command
// lines (runsc/sandbox.ts's globalArgs), as node:util's parseArgs reads them
// in their own entries (gofer-entry.ts, sentry-entry.ts), which skip
// commander to start faster. Only the logging ones matter to either.
export const CHILD_GLOBAL_OPTIONS = {
  root: { type: 'string' }, platform: { type: 'string' }, network: { type: 'string' },
  debug: { type: 'boolean', default: false }, 'debug-log': { type: 'string' }, strace: { type: 'boolean', default: false },
} as const;
