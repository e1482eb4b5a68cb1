import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line of a request carries: its request id, and its trace id when tracing. */
export interface LogContext {
  requestId?: string;
  traceId?: string;
  spanId?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs fn with the request's ids attached to every line logged inside it (async included). */
export function withLogContext<T>(ctx: LogContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...ctx }, fn);
}

export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}
