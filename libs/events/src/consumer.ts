import { assertIdentifier, DataSource, EntityManager } from '@citypoints/db';
import { createWorker, JobWorker, QueueConnection } from '@citypoints/jobs';
import { withSpan } from '@citypoints/log';
import type { Job } from 'bullmq';
import { applyBatchOnce, EventBatchHandler } from './batch';
import { DomainEvent } from './outbox';
import { consumerQueueName, SubscriptionStore } from './subscriptions';

/**
 * Applies one event in the consumer's transaction. A handler marked `commutes` (see `commutative`)
 * gives the same state whatever else runs beside it, so the consumer applies it concurrently with
 * others; any other handler runs one at a time per consumer.
 */
export type EventHandler = ((manager: EntityManager, event: DomainEvent) => Promise<void>) & {
  readonly commutes?: boolean;
  /** set by `batchHandlers`: events of the topics sharing this group are applied together */
  readonly batch?: EventBatchGroup;
};

/** A batch apply shared by some topics' handlers (see `batchHandlers`). */
export interface EventBatchGroup {
  readonly apply: EventBatchHandler;
  /** as for a handler: a group that does not commute takes the consumer's lock and runs one batch at a time */
  readonly commutes?: boolean;
}

/**
 * Declares that the events of these handlers' topics may be applied many at once by `applyBatch`
 * (its result must be the one the handlers give applied one by one, in the order given): the
 * consumer collects the events of these topics that arrived together — what is in flight now, up
 * to its `batchSize`, never waiting for more — and applies them in one transaction. A batch that
 * fails is applied again one event at a time through the handlers, so one bad event fails alone.
 */
export function batchHandlers(handlers: Record<string, EventHandler>, applyBatch: EventBatchHandler): Record<string, EventHandler> {
  const commutes = Object.values(handlers).every((h) => h.commutes);
  const group: EventBatchGroup = { apply: applyBatch, commutes };
  return Object.fromEntries(Object.entries(handlers).map(([topic, h]) => [topic, Object.assign((m: EntityManager, e: DomainEvent) => h(m, e), { commutes: h.commutes, batch: group })]));
}

/** Events a batch apply takes at most, and jobs in flight for a consumer with batched topics. */
export const DEFAULT_EVENT_BATCH_SIZE = 100;

/**
 * Marks a handler whose writes are single-row upserts ordered by the producer's version (a
 * projection's): two of them in parallel end as they would one after the other.
 */
export function commutative(handler: (manager: EntityManager, event: DomainEvent) => Promise<void>): EventHandler {
  return Object.assign(handler, { commutes: true as const });
}

/**
 * Jobs a consumer has in flight at once: each mostly waits on round trips to its database, so a
 * few in parallel keep up with a burst of writes instead of queueing them one commit after another.
 */
export const DEFAULT_CONSUMER_CONCURRENCY = 8;

/**
 * How often a running consumer declares its subscription again: the record on the queue backend
 * comes back within this long after Redis lost it (flushed, restarted without persistence).
 */
export const DEFAULT_SUBSCRIPTION_REFRESH_MS = 5_000;

export interface EventConsumerOptions {
  dataSource: DataSource;
  /** the consuming subgraph's schema, holding its `inbox` and whatever its handlers write */
  schema: string;
  /** its queue is `events.<consumer>`, e.g. `settlement` */
  consumer: string;
  connection: QueueConnection;
  /** by exact topic; these topics are the consumer's subscription */
  handlers: Record<string, EventHandler>;
  /** jobs in flight at once (DEFAULT_CONSUMER_CONCURRENCY); handlers that do not commute still run one at a time */
  concurrency?: number;
  /**
   * most events one batch apply takes (DEFAULT_EVENT_BATCH_SIZE); with batched topics the worker holds
   * at least twice this many jobs in flight, so the next batch gathers while one is applied
   */
  batchSize?: number;
  /** how often the subscription is declared again while running (DEFAULT_SUBSCRIPTION_REFRESH_MS) */
  subscriptionRefreshMs?: number;
  prefix?: string;
  log?: (message: string) => void;
}

/** What a job returned, kept on the completed job for inspection. */
export type EventOutcome = 'applied' | 'duplicate' | 'ignored';

/**
 * Applies each event at most once per consumer, however often it is delivered: the inbox row
 * and the handler's writes commit in one transaction, so a repeat finds the row and skips, and a
 * failing handler leaves no row and is retried (with backoff) by BullMQ.
 */
export class EventConsumer {
  private worker: JobWorker<DomainEvent, EventOutcome> | undefined;
  /** the tail of this consumer's handlers that do not commute, run one after another */
  private serial: Promise<unknown> = Promise.resolve();
  private store: SubscriptionStore | undefined;
  private refresh: NodeJS.Timeout | undefined;
  /** the declaration in flight, which stop() lets finish before closing the store */
  private declaring: Promise<void> | undefined;
  private readonly log: (message: string) => void;
  /** events of batched topics waiting for their group's next batch, by group */
  private readonly pending = new Map<EventBatchGroup, Pending[]>();
  /** the tail of each commuting group's batches */
  private readonly groupTail = new Map<EventBatchGroup, Promise<unknown>>();

  constructor(private readonly opts: EventConsumerOptions) {
    assertIdentifier(opts.schema);
    if (!/^[a-z][a-z0-9-]*$/.test(opts.consumer)) throw new Error(`bad consumer name ${opts.consumer}`);
    this.log = opts.log ?? (() => undefined);
  }

  get queueName(): string {
    return consumerQueueName(this.opts.consumer);
  }

  get topics(): string[] {
    return Object.keys(this.opts.handlers).sort();
  }

  /**
   * Records this consumer's subscription where the relays read it, then starts taking events; the
   * record is written again every `subscriptionRefreshMs` while running (it is idempotent), so
   * routing recovers by itself when the queue backend lost it.
   */
  async start(): Promise<void> {
    if (this.worker) return;
    this.store = new SubscriptionStore(this.opts.connection, this.opts.prefix);
    await this.declare();
    this.refresh = setInterval(() => {
      this.declare().catch((err) => this.log(`consumer ${this.opts.consumer}: declaring its subscription failed: ${String(err)}`));
    }, this.opts.subscriptionRefreshMs ?? DEFAULT_SUBSCRIPTION_REFRESH_MS);
    this.refresh.unref();
    const batched = Object.values(this.opts.handlers).some((h) => h.batch);
    const concurrency = Math.max(this.opts.concurrency ?? DEFAULT_CONSUMER_CONCURRENCY, batched ? 2 * this.batchSize : 0);
    const worker = createWorker<DomainEvent, EventOutcome>(this.queueName, (job) => this.apply(job), this.opts.connection, {
      prefix: this.opts.prefix,
      concurrency,
    });
    worker.on('error', (err) => this.log(`consumer ${this.opts.consumer}: ${String(err)}`));
    worker.on('failed', (job, err) =>
      this.log(`consumer ${this.opts.consumer}: event ${job?.data.id} (${job?.data.topic}) failed: ${err.message}`),
    );
    this.worker = worker;
    await worker.waitUntilReady();
  }

  /** Lets the job in flight finish, then stops taking new ones. */
  async stop(): Promise<void> {
    if (this.refresh) clearInterval(this.refresh);
    this.refresh = undefined;
    const w = this.worker;
    this.worker = undefined;
    await w?.close();
    const store = this.store;
    this.store = undefined;
    await this.declaring?.catch(() => undefined);
    await store?.close();
  }

  /** Writes this consumer's subscription (the same record each time). */
  private declare(): Promise<void> {
    const store = this.store;
    if (!store) return Promise.resolve();
    const done = store.register({ consumer: this.opts.consumer, topics: Object.keys(this.opts.handlers) });
    this.declaring = done;
    return done;
  }

  /**
   * Runs inside the job's span, which continues the trace of the request that published the event
   * (its `traceparent`): the applying is a span of that trace, named for the consumer and topic.
   */
  private async apply(job: Job<DomainEvent, EventOutcome>): Promise<EventOutcome> {
    const e = job.data;
    return withSpan(`apply ${e.topic}`, { 'citypoints.consumer': this.opts.consumer, 'citypoints.event.topic': e.topic, 'citypoints.event.id': e.id, 'citypoints.event.source': e.source }, async (span) => {
      const outcome = await this.applyEvent(job);
      span.setAttribute('citypoints.event.outcome', outcome);
      return outcome;
    });
  }

  private get batchSize(): number {
    return Math.max(1, this.opts.batchSize ?? DEFAULT_EVENT_BATCH_SIZE);
  }

  private async applyEvent(job: Job<DomainEvent, EventOutcome>): Promise<EventOutcome> {
    // own keys only: a topic named after an Object.prototype member has no handler
    const handler = Object.hasOwn(this.opts.handlers, job.data.topic) ? this.opts.handlers[job.data.topic] : undefined;
    if (!handler) return 'ignored';
    if (handler.batch) return this.enqueue(handler.batch, job.data);
    const run = () => applyOnce(this.opts.dataSource, this.opts.schema, this.opts.consumer, handler, job.data);
    if (handler.commutes) return run();
    // one at a time here, before taking a connection; the advisory lock in applyOnce covers replicas
    const result = this.serial.then(run);
    this.serial = result.catch(() => undefined);
    return result;
  }

  /**
   * Adds the event to its group's next batch. The batch is taken when its turn comes (after the
   * events already in flight were looked at, and for a group that does not commute after the
   * batch before it committed): whatever gathered meanwhile goes in, up to `batchSize`, so a burst
   * is applied in few transactions and a lone event is not kept waiting.
   */
  private enqueue(group: EventBatchGroup, event: DomainEvent): Promise<EventOutcome> {
    return new Promise<EventOutcome>((resolve, reject) => {
      const list = this.pending.get(group);
      if (list) list.push({ event, resolve, reject });
      else this.pending.set(group, [{ event, resolve, reject }]);
      // let the jobs fetched with this one reach the list first
      const turn = new Promise<void>((r) => setImmediate(r));
      const flush = () => this.flush(group);
      if (group.commutes) {
        // one batch of the group at a time: what arrives meanwhile makes the next one
        const done = (this.groupTail.get(group) ?? Promise.resolve()).then(() => turn).then(flush);
        this.groupTail.set(group, done.catch(() => undefined));
      } else {
        const done = this.serial.then(() => turn).then(flush);
        this.serial = done.catch(() => undefined);
      }
    });
  }

  /** Applies the group's waiting events as one batch; if it fails, each one alone. */
  private async flush(group: EventBatchGroup): Promise<void> {
    const list = this.pending.get(group);
    if (!list?.length) return;
    const taken = list.splice(0, this.batchSize);
    if (!list.length) this.pending.delete(group);
    const events = taken.map((p) => p.event);
    try {
      const outcomes = await applyBatchOnce(this.opts.dataSource, this.opts.schema, this.opts.consumer, group.apply, events, { lock: !group.commutes });
      taken.forEach((p, i) => p.resolve(outcomes[i]));
      return;
    } catch (err) {
      if (taken.length > 1) this.log(`consumer ${this.opts.consumer}: a batch of ${taken.length} events failed (${err instanceof Error ? err.message : String(err)}); applying them one by one`);
      else return taken[0].reject(err);
    }
    for (const p of taken) {
      const handler = this.opts.handlers[p.event.topic];
      try {
        p.resolve(await applyOnce(this.opts.dataSource, this.opts.schema, this.opts.consumer, handler, p.event));
      } catch (err) {
        p.reject(err);
      }
    }
  }
}

interface Pending {
  event: DomainEvent;
  resolve: (outcome: EventOutcome) => void;
  reject: (err: unknown) => void;
}

/**
 * Records that `consumer` hears the topics of `handlers`, where every relay reads it. A subgraph
 * declares it when its instance is created (before any relay of a fresh deployment runs, so no
 * event of the first minutes goes to nobody) and again when its consumer starts.
 */
export async function declareSubscription(connection: QueueConnection, prefix: string | undefined, consumer: string, handlers: Record<string, EventHandler>): Promise<void> {
  const store = new SubscriptionStore(connection, prefix);
  try {
    await store.register({ consumer, topics: Object.keys(handlers) });
  } finally {
    await store.close();
  }
}

/**
 * The inbox row and the handler's writes in one transaction: a repeat of the event finds the row
 * and is a no-op; a failing handler leaves neither. A handler that does not commute first takes
 * the consumer's transaction-scoped advisory lock, so its replicas apply such events one at a time.
 */
export async function applyOnce(dataSource: DataSource, schema: string, consumer: string, handler: EventHandler, event: DomainEvent): Promise<'applied' | 'duplicate'> {
  assertIdentifier(schema);
  return dataSource.transaction(async (m) => {
    if (!handler.commutes) await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`citypoints.events:${schema}.${consumer}`]);
    const inserted: unknown[] = await m.query(
      `INSERT INTO "${schema}"."inbox" ("event_id", "consumer") VALUES ($1, $2)
       ON CONFLICT DO NOTHING RETURNING "event_id"`,
      [event.id, consumer],
    );
    if (!inserted.length) return 'duplicate';
    await handler(m, event);
    return 'applied';
  });
}
