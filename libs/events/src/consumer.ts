import { assertIdentifier, DataSource, EntityManager } from '@citypoints/db';
import { createWorker, JobWorker, QueueConnection } from '@citypoints/jobs';
import type { Job } from 'bullmq';
import { DomainEvent } from './outbox';
import { consumerQueueName, SubscriptionStore } from './subscriptions';

export type EventHandler = (manager: EntityManager, event: DomainEvent) => Promise<void>;

export interface EventConsumerOptions {
  dataSource: DataSource;
  /** the consuming subgraph's schema, holding its `inbox` and whatever its handlers write */
  schema: string;
  /** its queue is `events.<consumer>`, e.g. `settlement` */
  consumer: string;
  connection: QueueConnection;
  /** by exact topic; these topics are the consumer's subscription */
  handlers: Record<string, EventHandler>;
  concurrency?: number;
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
  private readonly log: (message: string) => void;

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

  /** Records this consumer's subscription where the relays read it, then starts taking events. */
  async start(): Promise<void> {
    if (this.worker) return;
    await declareSubscription(this.opts.connection, this.opts.prefix, this.opts.consumer, this.opts.handlers);
    const worker = createWorker<DomainEvent, EventOutcome>(this.queueName, (job) => this.apply(job), this.opts.connection, {
      prefix: this.opts.prefix,
      concurrency: this.opts.concurrency ?? 1,
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
    const w = this.worker;
    this.worker = undefined;
    await w?.close();
  }

  private async apply(job: Job<DomainEvent, EventOutcome>): Promise<EventOutcome> {
    const handler = this.opts.handlers[job.data.topic];
    if (!handler) return 'ignored';
    return applyOnce(this.opts.dataSource, this.opts.schema, this.opts.consumer, handler, job.data);
  }
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
 * and is a no-op; a failing handler leaves neither.
 */
export async function applyOnce(dataSource: DataSource, schema: string, consumer: string, handler: EventHandler, event: DomainEvent): Promise<'applied' | 'duplicate'> {
  assertIdentifier(schema);
  return dataSource.transaction(async (m) => {
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
