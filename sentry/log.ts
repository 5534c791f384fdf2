// pino loggers, one per component. Quiet unless --debug; with --debug-log=DIR
// each component writes JSON lines to DIR/<component>.log, synchronously so
// that nothing is lost when the process exits.
import pino, { type Logger } from 'pino';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface LogOptions {
  debug: boolean;
  debugLog?: string;
  strace: boolean;
}

export function createLogger(component: string, opts: LogOptions): Logger {
  const level = opts.debug || opts.strace ? 'debug' : 'warn';
  if (opts.debugLog) {
    mkdirSync(opts.debugLog, { recursive: true });
    const dest = pino.destination({ dest: join(opts.debugLog, `${component}.log`), sync: true });
    return pino({ level, base: { component, pid: process.pid } }, dest);
  }
  if (!opts.debug && !opts.strace) return pino({ level: 'warn', base: { component } }, pino.destination({ dest: 2, sync: true }));
  return pino({ level, base: { component, pid: process.pid } }, pino.destination({ dest: 2, sync: true }));
}
