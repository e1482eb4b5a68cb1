import {
  createPostgresBackend,
  IQueueBackend,
  Processor,
  Queue,
  QueueEvents,
  QueueEventsOptions,
  QueueOptions,
  Worker,
  WorkerOptions,
  withBackend,
} from 'bullmq';
import { addGaugeReader, currentTraceparent, logger, metrics, withConsumerSpan } from '@citypoints/log';
import { QueueConnection, redisOptionsFromUrl } from './connection';

const DEPTH_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized', 'waiting-children'] as const;

/**
 * Every queue, worker and event stream logs its connection's errors. Without a listener, an
 * 'error' event throws: on BullMQ's PostgreSQL backend a restarted database (idle clients
 * terminated, the LISTEN client dropped) would become an uncaught exception and end the process,
 * while BullMQ itself reconnects once the database is back. Code and message only.
 */
function logErrors<E extends { name: string; on(event: 'error', fn: (err: Error) => void): unknown }>(emitter: E, role: string): E {
  emitter.on('error', (err: Error) => {
    logger('jobs').warn({ queue: emitter.name, role, code: (err as { code?: unknown }).code, reason: String(err?.message ?? err).slice(0, 200) }, 'queue connection error');
  });
  return emitter;
}

/** The queue's job counts by state on /metrics, until it closes. */
function instrumentQueue<Q extends { name: string; close(): Promise<void>; getJobCounts(...states: string[]): Promise<Record<string, number>> }>(q: Q): Q {
  const remove = addGaugeReader('queue', async (set) => {
    const counts = await q.getJobCounts(...DEPTH_STATES);
    for (const [state, n] of Object.entries(counts)) set({ queue: q.name, state }, n);
  });
  const close = q.close.bind(q);
  q.close = async () => {
    remove();
    return close();
  };
  return q;
}

/** Processing time and failures of the worker's jobs on /metrics. */
function instrumentWorker<W extends { name: string; on(event: string, fn: (...args: any[]) => void): unknown }>(w: W): W {
  const seconds = (job: { processedOn?: number; finishedOn?: number } | undefined) =>
    job?.processedOn && job.finishedOn ? Math.max(0, (job.finishedOn - job.processedOn) / 1000) : null;
  w.on('completed', (job: { processedOn?: number; finishedOn?: number }) => {
    const s = seconds(job);
    if (s !== null) metrics.jobDuration.observe({ queue: w.name, outcome: 'completed' }, s);
  });
  w.on('failed', (job: { processedOn?: number; finishedOn?: number } | undefined) => {
    metrics.jobFailures.inc({ queue: w.name });
    const s = seconds(job);
    if (s !== null) metrics.jobDuration.observe({ queue: w.name, outcome: 'failed' }, s);
  });
  return w;
}

/** A job's data may carry the trace context of the request that queued it. */
function traceparentOf(data: unknown): string | undefined {
  const tp = data && typeof data === 'object' ? (data as { traceparent?: unknown }).traceparent : undefined;
  return typeof tp === 'string' ? tp : undefined;
}

/** Adds the active span's `traceparent` to plain-object job data that has none. */
function withTraceparent<D>(data: D): D {
  if (!data || typeof data !== 'object' || Array.isArray(data) || traceparentOf(data)) return data;
  const traceparent = currentTraceparent();
  return traceparent ? ({ ...data, traceparent } as D) : data;
}

/**
 * Jobs queued inside a span (a request's) carry its trace context in their data (`traceparent`),
 * so the worker that runs them continues the request's trace; jobs queued outside one are as given.
 */
function propagateTrace<Q extends { add(...args: any[]): Promise<unknown>; addBulk(jobs: any[]): Promise<unknown> }>(q: Q): Q {
  const add = q.add.bind(q);
  const addBulk = q.addBulk.bind(q);
  q.add = ((name: unknown, data: unknown, ...rest: unknown[]) => add(name, withTraceparent(data), ...rest)) as Q['add'];
  q.addBulk = ((jobs: { data?: unknown }[]) => addBulk(jobs.map((j) => ({ ...j, data: withTraceparent(j.data) })))) as Q['addBulk'];
  return q;
}

/**
 * Each job runs in a consumer span continuing the trace its data names (a request's, an event's),
 * so its log lines and any span below it carry that trace id.
 */
function tracedProcessor<D, R>(queue: string, processor: Processor<D, R, string>): Processor<D, R, string> {
  return (job, token, signal) =>
    withConsumerSpan(`job ${queue} ${job.name}`, traceparentOf(job.data), { 'messaging.system': 'bullmq', 'messaging.destination.name': queue, 'messaging.message.id': String(job.id ?? '') }, () =>
      processor(job, token, signal),
    );
}

export const DEFAULT_QUEUE_PREFIX = 'citypoints';

/** A queue on either backend; callers never need to know which. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JobQueue<D = any, R = any> = Queue<D, R, string, D, R, string, IQueueBackend, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JobWorker<D = any, R = any> = Worker<D, R, string, IQueueBackend, any, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JobQueueEvents<R = any> = QueueEvents<R, IQueueBackend, any>;

type Prefixed<T> = Omit<T, 'connection' | 'prefix'> & { prefix?: string };
export type CreateQueueOptions = Prefixed<QueueOptions>;
export type CreateWorkerOptions = Prefixed<WorkerOptions>;
export type CreateQueueEventsOptions = Prefixed<QueueEventsOptions>;

/** Pool size of each Queue/Worker on PostgreSQL; BullMQ's LISTEN client comes on top of it. */
const PG_POOL_MAX = 4;

const onPostgres = withBackend(createPostgresBackend);

function postgresOptions(conn: Extract<QueueConnection, { kind: 'postgres' }>) {
  // migrate: true makes the first Queue/Worker create BullMQ's tables (under its advisory lock)
  return { connectionString: conn.url, schema: conn.schema, migrate: true, max: PG_POOL_MAX };
}

export function createQueue<D = unknown, R = unknown>(
  name: string,
  conn: QueueConnection,
  opts: CreateQueueOptions = {},
): JobQueue<D, R> {
  const prefix = opts.prefix ?? DEFAULT_QUEUE_PREFIX;
  if (conn.kind === 'redis') {
    return logErrors(propagateTrace(instrumentQueue(new Queue<D, R>(name, { ...opts, prefix, connection: redisOptionsFromUrl(conn.url) }) as JobQueue<D, R>)), 'queue');
  }
  return logErrors(propagateTrace(instrumentQueue(new onPostgres.Queue<D, R>(name, { ...opts, prefix, connection: postgresOptions(conn) }) as JobQueue<D, R>)), 'queue');
}

export interface WorkerTiming {
  /** how long a worker's lock on its job lasts without renewal (renewed every half of it) */
  lockDuration?: number;
  /** how often a worker looks for jobs whose lock lapsed (their worker died) and hands them back */
  stalledInterval?: number;
}

/**
 * The lock and stalled-check timing of every worker that was not given its own: JOB_LOCK_MS and
 * JOB_STALLED_INTERVAL_MS, else BullMQ's 30 s each. A job whose worker was killed is picked up
 * again within about lock + 2 × interval, so shorter values recover sooner; a lock shorter than
 * the longest pause of a busy worker's event loop lets a second worker start the same job.
 */
export function workerTimingFromEnv(source: Record<string, string | undefined> = process.env): WorkerTiming {
  const read = (name: string): number | undefined => {
    const raw = source[name];
    if (raw === undefined || raw.trim() === '') return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 500) throw new Error(`${name}: not a whole number of milliseconds >= 500: ${raw}`);
    return n;
  };
  const lockDuration = read('JOB_LOCK_MS');
  const stalledInterval = read('JOB_STALLED_INTERVAL_MS');
  return { ...(lockDuration ? { lockDuration } : {}), ...(stalledInterval ? { stalledInterval } : {}) };
}

export function createWorker<D = unknown, R = unknown>(
  name: string,
  processor: Processor<D, R, string>,
  conn: QueueConnection,
  given: CreateWorkerOptions = {},
): JobWorker<D, R> {
  const opts: CreateWorkerOptions = { ...workerTimingFromEnv(), ...given };
  const prefix = opts.prefix ?? DEFAULT_QUEUE_PREFIX;
  processor = tracedProcessor(name, processor);
  if (conn.kind === 'redis') {
    return logErrors(
      instrumentWorker(
        new Worker<D, R>(name, processor, {
          ...opts,
          prefix,
          connection: { ...redisOptionsFromUrl(conn.url), maxRetriesPerRequest: null },
        }) as JobWorker<D, R>,
      ),
      'worker',
    );
  }
  return logErrors(
    instrumentWorker(
      new onPostgres.Worker<D, R>(name, processor, {
        ...opts,
        prefix,
        connection: postgresOptions(conn),
      }) as JobWorker<D, R>,
    ),
    'worker',
  );
}

/** Completion/failure/progress events of a queue; both backends support them. */
export function createQueueEvents<R = unknown>(
  name: string,
  conn: QueueConnection,
  opts: CreateQueueEventsOptions = {},
): JobQueueEvents<R> {
  const prefix = opts.prefix ?? DEFAULT_QUEUE_PREFIX;
  if (conn.kind === 'redis') {
    return logErrors(
      new QueueEvents<R>(name, {
        ...opts,
        prefix,
        connection: { ...redisOptionsFromUrl(conn.url), maxRetriesPerRequest: null },
      }) as JobQueueEvents<R>,
      'events',
    );
  }
  return logErrors(new onPostgres.QueueEvents<R>(name, { ...opts, prefix, connection: postgresOptions(conn) }) as JobQueueEvents<R>, 'events');
}
