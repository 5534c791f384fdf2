// Loggers, one per component, writing pino JSON. Quiet unless --debug; with
// --debug-log=DIR each component writes JSON lines to DIR/<component>.log,
// synchronously so that nothing is lost when the process exits.
//
// Quiet (the default) only warnings and errors are written, and pino is not
// loaded for them: loading it (with sonic-boom and node:assert) was ~15 ms
// of each Sentry and Gofer start, on the sandbox's critical path
// (docs/design/startup.md). A quiet line is the one pino writes for the same
// call: level, time, the component, the object's fields, msg (log.test.ts
// compares them). Loud, pino itself is loaded, from node_modules at run time.
import { createRequire } from 'node:module';
import { mkdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type * as PinoModule from 'pino';

export interface LogOptions {
  debug: boolean;
  debugLog?: string;
  strace: boolean;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A log call: fields and a message, or a message alone (the forms pino takes that we use). */
export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

/** What the Sentry and the Gofer log through; a pino Logger is one. */
export interface Log {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  isLevelEnabled(level: LogLevel): boolean;
}

/** pino's numeric levels, which its JSON lines carry. */
const PINO_LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

function jsonValue(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

/** Warnings and errors as pino's JSON lines on stderr (or fd), without pino. */
export class QuietLog implements Log {
  constructor(private readonly component: string, private readonly fd = 2) {}

  private write(level: 'warn' | 'error', objOrMsg: object | string, msg?: string): void {
    const fields = typeof objOrMsg === 'string' ? {} : objOrMsg;
    const text = typeof objOrMsg === 'string' ? objOrMsg : msg;
    const line = { level: PINO_LEVEL[level], time: Date.now(), component: this.component, ...fields, ...(text === undefined ? {} : { msg: text }) };
    try {
      writeSync(this.fd, `${JSON.stringify(line, jsonValue)}\n`);
    } catch {
      // A closed or full stderr loses the line; the sandbox goes on.
    }
  }

  readonly debug: LogFn = () => {};
  readonly info: LogFn = () => {};
  readonly warn: LogFn = (objOrMsg: object | string, msg?: string) => this.write('warn', objOrMsg, msg);
  readonly error: LogFn = (objOrMsg: object | string, msg?: string) => this.write('error', objOrMsg, msg);
  isLevelEnabled(level: LogLevel): boolean { return level === 'warn' || level === 'error'; }
}

export function createLogger(component: string, opts: LogOptions): Log {
  if (!opts.debug && !opts.strace && !opts.debugLog) return new QuietLog(component);
  const pino = createRequire(import.meta.url)('pino') as typeof PinoModule.default;
  const level = opts.debug || opts.strace ? 'debug' : 'warn';
  if (opts.debugLog) {
    mkdirSync(opts.debugLog, { recursive: true });
    const dest = pino.destination({ dest: join(opts.debugLog, `${component}.log`), sync: true });
    return pino({ level, base: { component, pid: process.pid } }, dest);
  }
  return pino({ level, base: { component, pid: process.pid } }, pino.destination({ dest: 2, sync: true }));
}
