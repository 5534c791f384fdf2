// The global options runsc hands the Gofer and the Sentry on their command
// lines (runsc/sandbox.ts's globalArgs), as node:util's parseArgs reads them
// in their own entries (gofer-entry.ts, sentry-entry.ts), which skip
// commander to start faster. Only the logging ones matter to either.
export const CHILD_GLOBAL_OPTIONS = {
  root: { type: 'string' }, platform: { type: 'string' }, network: { type: 'string' },
  debug: { type: 'boolean', default: false }, 'debug-log': { type: 'string' }, strace: { type: 'boolean', default: false },
} as const;

/**
 * runsc/loader.ts's flag, before a bundle's own arguments, for a run that
 * rewrites the bundle's code cache at exit; runsc passes it to the Sentry
 * and the Gofer when its environment has RUNSC_TRAIN_CODE_CACHE=1, which
 * only `npm run build`'s training run sets (scripts/bundle.mjs).
 */
export const TRAIN_CODE_CACHE_FLAG = '--train-code-cache';

/** The loader's arguments before a bundle's: the training flag, when runsc was asked for it. */
export function loaderFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  return env.RUNSC_TRAIN_CODE_CACHE === '1' ? [TRAIN_CODE_CACHE_FLAG] : [];
}
