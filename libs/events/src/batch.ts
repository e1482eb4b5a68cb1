import { assertIdentifier, DataSource, EntityManager } from '@citypoints/db';
import { DomainEvent } from './outbox';

/** Applies many events of a consumer's topics in one transaction (their facts set-based, each subject recomputed once). */
export type EventBatchHandler = (manager: EntityManager, events: DomainEvent[]) => Promise<void>;

/**
 * applyOnce for a batch: every event's inbox row claimed in one statement and the handler given
 * the events claimed now (in the order given), all in one transaction. A repeat of an event finds
 * its row and is left out; a failing handler leaves no row of the batch, so each is retried.
 * With `lock`, the consumer's advisory lock is taken first, as applyOnce does for a handler that
 * does not commute, so replicas apply such batches one at a time. Aligned with `events`.
 */
export async function applyBatchOnce(
  dataSource: DataSource,
  schema: string,
  consumer: string,
  handler: EventBatchHandler,
  events: readonly DomainEvent[],
  options: { lock?: boolean } = {},
): Promise<('applied' | 'duplicate')[]> {
  assertIdentifier(schema);
  if (!events.length) return [];
  return dataSource.transaction(async (m) => {
    if (options.lock) await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`citypoints.events:${schema}.${consumer}`]);
    const inserted: { event_id: string }[] = await m.query(
      `INSERT INTO "${schema}"."inbox" ("event_id", "consumer") SELECT e, $2 FROM unnest($1::uuid[]) AS e
       ON CONFLICT DO NOTHING RETURNING "event_id"`,
      [[...new Set(events.map((e) => e.id))], consumer],
    );
    const fresh = new Set(inserted.map((r) => r.event_id));
    const claimed = events.filter((e) => fresh.delete(e.id));
    if (claimed.length) await handler(m, claimed);
    const applied = new Set(claimed);
    return events.map((e) => (applied.has(e) ? 'applied' : 'duplicate'));
  });
}
