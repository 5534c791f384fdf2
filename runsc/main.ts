// runsc's entry. For `run` and `do` the Sentry is spawned before anything
// else is loaded, so that its start overlaps the CLI's (runsc/early-sentry.ts);
// then the command line proper (runsc/cli.ts, with commander) is loaded.
import { startEarlySentry } from './early-sentry.js';

startEarlySentry(process.argv.slice(2));
await import('./cli.js');
