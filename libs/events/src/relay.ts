import { assertIdentifier, DataSource } from '@citypoints/db';
import { createQueue, JobQueue, QueueConnection } from '@citypoints/jobs';
import type { JobsOptions } from 'bullmq';
import { Client } from 'pg';
import { DomainEvent, outboxChannel } from './outbox';
import { consumerQueueName, consumersOf, SubscriptionStore, type Subscription } from './subscriptions';

export interface OutboxRelayOptions {
  dataSource: DataSource;
  /** the publishing subgraph's schema, whose `outbox` this relay empties */
  schema: string;
  connection: QueueConnection;
  /** pause between polls once the outbox is drained; a commit's NOTIFY wakes the relay sooner */
  pollMs?: number;
  /** the database URL to LISTEN on for commits of the outbox; the data source's own URL unless told */
  listenUrl?: string;
  batchSize?: number;
  /** fixed subscriptions instead of those the consumers registered on the queue backend */
  subscriptions?: readonly Subscription[];
  /** queue name prefix, as for createQueue */
  prefix?: string;
  /** merged over DEFAULT_EVENT_JOB_OPTIONS; `jobId` is always the event id */
  jobOptions?: Omit<JobsOptions, 'jobId'>;
  log?: (message: string) => void;
}

/**
 * A consumer's handler may fail for a while (its database restarting, a bug being fixed), so
 * retries back off up to about an hour; failed jobs are kept for inspection and manual retry.
 */
export const DEFAULT_EVENT_JOB_OPTIONS: Omit<JobsOptions, 'jobId'> = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 7 * 24 * 3600 },
  removeOnFail: false,
};

interface OutboxRow {
  id: string;
  topic: string;
  aggregate_id: string;
  payload: Record<string, unknown>;
  version: string;
  schema_version: number;
  created_at: Date;
  traceparent: string | null;
}

/**
 * Idle poll interval of the relay unless told otherwise: the fallback when a NOTIFY is missed
 * (the listening connection down, a row written without `publish`).
 */
export const DEFAULT_RELAY_POLL_MS = 100;

/**
 * Moves committed outbox rows onto the consumers' queues. A batch is claimed with
 * `FOR UPDATE SKIP LOCKED` (so relays in several replicas share the work), added with the event
 * id as job id, and marked relayed in the same transaction. If the process dies before the
 * mark commits, the rows stay unrelayed and are sent again; the job id and each consumer's inbox
 * make that second delivery harmless. Events are at-least-once and not ordered. Where each topic
 * goes is read from the subscriptions the consumers registered, once per batch.
 */
export class OutboxRelay {
  private readonly queues = new Map<string, JobQueue<DomainEvent>>();
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly store: SubscriptionStore | undefined;
  private readonly jobOptions: Omit<JobsOptions, 'jobId'>;
  private readonly log: (message: string) => void;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private listener: Client | undefined;
  /** a NOTIFY came while a batch was in flight: go again at once after it */
  private woken = false;
  /** every consumer's subscription this relay has read, by consumer: what it routes by if the store loses them */
  private readonly known = new Map<string, Subscription>();
  private holding = false;

  constructor(private readonly opts: OutboxRelayOptions) {
    assertIdentifier(opts.schema);
    this.pollMs = opts.pollMs ?? DEFAULT_RELAY_POLL_MS;
    this.batchSize = opts.batchSize ?? 100;
    this.store = opts.subscriptions ? undefined : new SubscriptionStore(opts.connection, opts.prefix);
    this.jobOptions = { ...DEFAULT_EVENT_JOB_OPTIONS, ...opts.jobOptions };
    this.log = opts.log ?? (() => undefined);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
    const url = this.opts.listenUrl ?? (this.opts.dataSource.options as { url?: string }).url;
    if (url) void this.listen(url);
  }

  /** Stops polling, waits for the batch in flight, closes the queues. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.inFlight;
    const queues = [...this.queues.values()];
    this.queues.clear();
    await Promise.all(queues.map((q) => q.close()));
    await this.store?.close();
  }

  get pollInterval(): number {
    return this.pollMs;
  }

  /** Relays one batch; returns how many outbox rows it marked relayed. */
  async relayOnce(): Promise<number> {
    const t = `"${this.opts.schema}"."outbox"`;
    return this.opts.dataSource.transaction(async (m) => {
      // a mark lost in a crash only sends the batch again, which the job ids and inboxes absorb:
      // the relay need not wait for its commit to reach the disk
      await m.query(`SET LOCAL synchronous_commit = off`);
      const rows: OutboxRow[] = await m.query(
        `SELECT "id", "topic", "aggregate_id", "payload", "version", "schema_version", "created_at", "traceparent" FROM ${t}
         WHERE "relayed_at" IS NULL ORDER BY "created_at" LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.batchSize],
      );
      if (!rows.length) return 0;
      const subscriptions = this.opts.subscriptions ?? (await this.currentSubscriptions());
      if (!subscriptions.length) {
        // nobody has declared a subscription (yet, or the store was lost): keep the rows for later rather than send them nowhere
        if (!this.holding) this.log(`outbox relay ${this.opts.schema}: no consumer has declared a subscription; events wait in the outbox`);
        this.holding = true;
        return 0;
      }
      this.holding = false;
      const byConsumer = new Map<string, DomainEvent[]>();
      for (const row of rows) {
        const event: DomainEvent = {
          id: row.id,
          topic: row.topic,
          aggregateId: row.aggregate_id,
          version: Number(row.version),
          schemaVersion: row.schema_version,
          payload: row.payload,
          createdAt: row.created_at.toISOString(),
          source: this.opts.schema,
          ...(row.traceparent ? { traceparent: row.traceparent } : {}),
        };
        for (const consumer of consumersOf(row.topic, subscriptions)) {
          const list = byConsumer.get(consumer) ?? [];
          list.push(event);
          byConsumer.set(consumer, list);
        }
      }
      // every consumer's queue at once: a batch costs one round trip to the queue backend, not one per consumer
      await Promise.all(
        [...byConsumer].map(([consumer, events]) =>
          this.queueOf(consumer).addBulk(events.map((e) => ({ name: e.topic, data: e, opts: { ...this.jobOptions, jobId: e.id } }))),
        ),
      );
      await m.query(`UPDATE ${t} SET "relayed_at" = now() WHERE "id" = ANY($1::uuid[])`, [rows.map((r) => r.id)]);
      return rows.length;
    });
  }

  /**
   * The subscriptions in the store, plus those this relay read before and the store no longer has
   * (Redis flushed or restarted empty): those are put back, without overwriting a declaration
   * made since, and routed by meanwhile, so no event goes to nobody until the consumers declare
   * theirs again.
   */
  private async currentSubscriptions(): Promise<Subscription[]> {
    const stored = await this.store!.list();
    const lost = [...this.known.values()].filter((k) => !stored.some((s) => s.consumer === k.consumer));
    for (const s of stored) this.known.set(s.consumer, s);
    if (lost.length) {
      this.log(`outbox relay ${this.opts.schema}: subscriptions of ${lost.map((s) => s.consumer).join(', ')} missing from the store; restoring them`);
      await Promise.all(lost.map((s) => this.store!.restore(s)));
    }
    return [...stored, ...lost];
  }

  private tick(): void {
    this.timer = undefined;
    this.woken = false;
    this.inFlight = (async () => {
      try {
        while (this.running && (await this.relayOnce()) === this.batchSize) {
          // a full batch means more are waiting: go again without sleeping
        }
      } catch (err) {
        this.log(`outbox relay ${this.opts.schema}: ${String(err)}; retrying in ${this.pollMs} ms`);
      }
    })();
    void this.inFlight.then(() => {
      if (!this.running) return;
      if (this.woken) this.tick();
      else this.timer = setTimeout(() => this.tick(), this.pollMs);
    });
  }

  /** A commit of the outbox was announced: relay now, or right after the batch in flight. */
  private wake(): void {
    if (!this.running) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.tick();
    } else this.woken = true;
  }

  /** LISTENs for commits of the outbox; reconnects after a lost connection while running. */
  private async listen(url: string): Promise<void> {
    while (this.running) {
      const client = new Client({ connectionString: url });
      const lost = new Promise<void>((resolve) => {
        client.on('error', () => resolve());
        client.on('end', () => resolve());
      });
      try {
        await client.connect();
        client.on('notification', () => this.wake());
        await client.query(`LISTEN "${outboxChannel(this.opts.schema)}"`);
        this.listener = client;
        if (!this.running) await client.end();
        await lost;
      } catch (err) {
        this.log(`outbox relay ${this.opts.schema}: LISTEN failed: ${String(err)}`);
        await client.end().catch(() => undefined);
      }
      if (this.running) await new Promise((r) => setTimeout(r, 1000));
    }
  }

  private queueOf(consumer: string): JobQueue<DomainEvent> {
    let q = this.queues.get(consumer);
    if (!q) {
      q = createQueue<DomainEvent>(consumerQueueName(consumer), this.opts.connection, { prefix: this.opts.prefix });
      q.on('error', (err) => this.log(`queue ${consumerQueueName(consumer)}: ${String(err)}`));
      this.queues.set(consumer, q);
    }
    return q;
  }
}
