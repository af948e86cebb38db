/**
 * Structured JSON logging (winston). One root logger per process; one child per reconcile carrying
 * the workload key and a reconcile id, so every line of a reconcile can be grepped together
 * (STYLE.md §10). Never log secrets or whole objects that may contain them.
 */
import { randomUUID } from 'node:crypto';
import winston from 'winston';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Logger is the narrow logging surface Bulkhead code depends on. */
export interface Logger {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  /** child returns a logger that adds fields to every line. */
  child(fields: Record<string, unknown>): Logger;
  /** forReconcile returns the child logger for one reconcile of key. */
  forReconcile(key: string, reconcileId?: string): Logger;
}

export interface LoggerOptions {
  /** @default env BULKHEAD_LOG_LEVEL, else 'info' */
  level?: LogLevel;
  /** Drop every line (tests). @default false */
  silent?: boolean;
  /** Fields on every line, e.g. {component: 'controller'}. */
  fields?: Record<string, unknown>;
  /** Where lines go; defaults to stdout (tests can pass a stream to capture them). */
  stream?: NodeJS.WritableStream;
  /** Overrides process.env (tests). */
  env?: Record<string, string | undefined>;
}

const LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

/** levelFromEnv reads BULKHEAD_LOG_LEVEL; unknown values fall back to 'info'. */
export function levelFromEnv(env: Record<string, string | undefined> = process.env): LogLevel {
  const raw = env['BULKHEAD_LOG_LEVEL']?.trim().toLowerCase();
  return LEVELS.find((l) => l === raw) ?? 'info';
}

class WinstonLogger implements Logger {
  constructor(private readonly w: winston.Logger) {}

  error(message: string, fields?: Record<string, unknown>): void {
    this.w.error(message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.w.warn(message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.w.info(message, fields);
  }
  debug(message: string, fields?: Record<string, unknown>): void {
    this.w.debug(message, fields);
  }
  child(fields: Record<string, unknown>): Logger {
    return new WinstonLogger(this.w.child(fields));
  }
  forReconcile(key: string, reconcileId: string = randomUUID()): Logger {
    return this.child({ workload: key, reconcileId });
  }
}

/** createLogger builds the root JSON logger. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const transport = opts.stream
    ? new winston.transports.Stream({ stream: opts.stream })
    : new winston.transports.Console();
  const w = winston.createLogger({
    level: opts.level ?? levelFromEnv(opts.env),
    silent: opts.silent ?? false,
    defaultMeta: opts.fields,
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      winston.format.json(),
    ),
    transports: [transport],
  });
  return new WinstonLogger(w);
}

/** silentLogger is a logger that drops everything (tests, library defaults). */
export function silentLogger(): Logger {
  return createLogger({ silent: true });
}
