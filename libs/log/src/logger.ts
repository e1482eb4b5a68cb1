import { Writable } from 'node:stream';
import pino, { type Logger, type LevelWithSilent } from 'pino';
import { currentLogContext } from './context';
import { REDACT_PATHS, scrubber } from './redact';
import { activeTraceIds } from './tracing';

export type { Logger } from 'pino';

const LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function levelFromEnv(): LevelWithSilent {
  const l = process.env.LOG_LEVEL;
  if (l && LEVELS.includes(l)) return l as LevelWithSilent;
  // tests keep their output for what went wrong
  return process.env.NODE_ENV === 'test' ? 'warn' : 'info';
}

/** Errors keep their type, message, code and stack; never a driver's detail or a query's parameters. */
function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const e = err as Error & { code?: unknown; driverError?: { code?: unknown } };
  const code = e.code ?? e.driverError?.code;
  return { type: e.name, message: e.message, ...(code !== undefined ? { code: String(code) } : {}), ...(e.stack ? { stack: e.stack } : {}) };
}

/**
 * Where lines go: stdout, unless a test captured them. Every line is scrubbed before it is
 * written, whichever destination it goes to.
 */
class Sink extends Writable {
  private target: NodeJS.WritableStream = process.stdout;
  private scrub: (line: string) => string = scrubber();

  setTarget(t: NodeJS.WritableStream) {
    this.target = t;
  }

  resetScrubber(extra: string[] = []) {
    this.scrub = scrubber(process.env, extra);
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (error?: Error | null) => void): void {
    this.target.write(this.scrub(String(chunk)));
    cb();
  }
}

const sink = new Sink();

/**
 * The level is decided here rather than on each logger: pino children copy their parent's level
 * when made, and components make theirs at load time, so a change (a test capturing at debug)
 * would not reach them otherwise.
 */
const threshold = { value: levelFromEnv() === 'silent' ? Infinity : pino.levels.values[levelFromEnv()] };
const levelValue = (l: LevelWithSilent) => (l === 'silent' ? Infinity : pino.levels.values[l]);

/** The one logger of every process: JSON lines, redacted, with the request and trace ids. */
export const rootLogger: Logger = pino(
  {
    level: 'trace',
    hooks: {
      logMethod(args, method, level) {
        if (level >= threshold.value) method.apply(this, args);
      },
    },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError, error: serializeError },
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const c = currentLogContext();
      const t = activeTraceIds() ?? (c?.traceId ? { traceId: c.traceId, spanId: c.spanId } : undefined);
      return { ...(c?.requestId ? { requestId: c.requestId } : {}), ...(t ? { traceId: t.traceId, spanId: t.spanId } : {}) };
    },
  },
  sink,
);

/** Sets the level of every logger of the process. */
export function setLogLevel(level: LevelWithSilent): void {
  threshold.value = levelValue(level);
}

/** A child logger of one component (`gateway`, `registry`, `civic-worker`, `db:civic` …). */
export function logger(component: string): Logger {
  return rootLogger.child({ component });
}

/** A `(message) => void` callback, as `deps.log` and lifecycles take, that logs at info. */
export function logFn(component: string): (message: string) => void {
  const l = logger(component);
  return (message: string) => l.info(message);
}

export interface LogCapture {
  /** every line written since the capture began */
  lines(): string[];
  stop(): void;
}

/**
 * Sends every line to memory instead of stdout (tests), at the given level, with extra strings
 * (e.g. a test's own secrets) scrubbed like the environment's.
 */
export function captureLogs(opts: { level?: LevelWithSilent; secrets?: string[] } = {}): LogCapture {
  const lines: string[] = [];
  let buffer = '';
  const previous = threshold.value;
  const target = new Writable({
    write(chunk, _enc, cb) {
      buffer += String(chunk);
      let i: number;
      while ((i = buffer.indexOf('\n')) >= 0) {
        lines.push(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
      }
      cb();
    },
  });
  sink.setTarget(target);
  sink.resetScrubber(opts.secrets ?? []);
  threshold.value = levelValue(opts.level ?? 'debug');
  return {
    lines: () => [...lines, ...(buffer ? [buffer] : [])],
    stop() {
      sink.setTarget(process.stdout);
      sink.resetScrubber();
      threshold.value = previous;
    },
  };
}
