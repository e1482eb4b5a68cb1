import type { EntityManager } from 'typeorm';
import { EXCHANGE_TOPICS, parsePayload, publishFact, type DomainEvent, type EventHandler } from '@citypoints/events';
import { SCHEMA } from '../context';
import type { CivicRuntime } from '../runtime';
import { announceSettled } from './redemption-notices';

/**
 * Volunteer points at the points supermarket (docs/domain/08-volunteering.md), civic's side of
 * the saga:
 *
 * 1. `reserveVolunteerRedemption` — in the redeem mutation's transaction: the stock falls, the
 *    redemption is stored PENDING and the request for the points goes to the outbox. All of it
 *    commits, or none of it; the redeem then waits (bounded, holding no lock) for step 3.
 * 2. volunteering decides once per redemption: it debits the time bank (oldest lots first) or
 *    refuses for want of points, and answers by an event.
 * 3. `applyDebitDecision` — DEBITED completes the redemption; REFUSED compensates: the stock is
 *    released, the holder's one-time code (when a merchant spent one) is given back, and the
 *    redemption FAILED. A decision for a redemption no longer pending changes
 *    nothing. The commit notifies the redeem waiting for it.
 *
 * `resumePendingRedemptions` is the recovery of a saga stopped between the steps (a request or an
 * answer lost, a worker killed): it asks volunteering again for every redemption pending longer
 * than a while. Volunteering answers a repeated request with its first decision, so the points
 * and the stock move once whatever is repeated. A redemption pending longer than the give-up
 * bound is abandoned: civic asks volunteering to cancel it instead, and volunteering refuses it
 * (cause ABANDONED) unless it has decided already, in which case it answers that decision — so
 * the saga ends either way with both moved or neither.
 */
export { RESUME_AFTER_MS, GIVE_UP_AFTER_MS } from '../config';

export interface ReserveInput {
  redemptionId: string;
  cardNo: string;
  residentId: string;
  idempotencyKey: string;
  requestHash: string;
  redeemedBy: string;
  holderCodeId: string | null;
  /** reward id → quantity; the reward rows are already locked by the caller */
  lines: Map<string, number>;
  totalPoints: number;
}

const request = (m: EntityManager, redemptionId: string, residentId: string, points: number) =>
  publishFact(m, SCHEMA, EXCHANGE_TOPICS.redemptionRequested, redemptionId, { redemptionId, residentId, points });
const cancel = (m: EntityManager, redemptionId: string, residentId: string, points: number) =>
  publishFact(m, SCHEMA, EXCHANGE_TOPICS.redemptionCancelled, redemptionId, { redemptionId, residentId, points });

/** Step 1, inside the redeem transaction (reward rows locked, stock checked). */
export async function reserveVolunteerRedemption(rt: CivicRuntime, m: EntityManager, r: ReserveInput): Promise<void> {
  const now = rt.clock.now();
  await m.query(
    `UPDATE "${SCHEMA}".reward_items i SET stock = i.stock - x.qty FROM unnest($1::uuid[], $2::int[]) AS x(id, qty) WHERE i.id = x.id`,
    [[...r.lines.keys()], [...r.lines.values()]],
  );
  if (r.holderCodeId) await m.query(`UPDATE "${SCHEMA}".redemption_codes SET used_at = $2, used_by = $3 WHERE id = $1`, [r.holderCodeId, now, r.redeemedBy]);
  await m.query(
    `INSERT INTO "${SCHEMA}".redemptions (id, card_no, idempotency_key, request_hash, total_points, balance_after, ledger_transaction_id, redeemed_by, holder_code_id, created_at,
       points_kind, status, resident_id, requested_at, requests)
     VALUES ($1, $2, $3, $4, $5, NULL, NULL, $6, $7, $8, 'VOLUNTEER', 'PENDING', $9, $8, 1)`,
    [r.redemptionId, r.cardNo, r.idempotencyKey, r.requestHash, r.totalPoints, r.redeemedBy, r.holderCodeId, now, r.residentId],
  );
  await m.query(
    `INSERT INTO "${SCHEMA}".redemption_lines (redemption_id, reward_id, quantity, points_each) SELECT $1, x.id, x.qty, i.points_cost
       FROM unnest($2::uuid[], $3::int[]) AS x(id, qty) JOIN "${SCHEMA}".reward_items i ON i.id = x.id`,
    [r.redemptionId, [...r.lines.keys()], [...r.lines.values()]],
  );
  await request(m, r.redemptionId, r.residentId, r.totalPoints);
}

export interface DebitDecision {
  redemptionId: string;
  outcome: 'DEBITED' | 'REFUSED';
  balanceAfter: number | null;
  /** why REFUSED; an answer without it was refused for want of points */
  cause?: 'INSUFFICIENT_POINTS' | 'ABANDONED' | null;
}

/**
 * The compensation's part for the holder: the one-time code a merchant spent on the redemption is
 * theirs again, live for as long as it had left when it was spent (a redemption given up a day
 * later would otherwise hand back a long-expired code), so the holder can retry at the till. Runs
 * once, in the step that fails the redemption; a code spent since is left alone.
 */
async function releaseHolderCode(m: EntityManager, redemptionId: string, now: Date): Promise<void> {
  await m.query(
    `UPDATE "${SCHEMA}".redemption_codes c SET used_at = NULL, used_by = NULL, expires_at = $2::timestamptz + (c.expires_at - c.used_at)
       FROM "${SCHEMA}".redemptions r
      WHERE r.id = $1 AND c.id = r.holder_code_id AND c.used_at IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM "${SCHEMA}".redemptions o WHERE o.holder_code_id = c.id AND o.status <> 'FAILED')`,
    [redemptionId, now],
  );
}

/** Step 3: completes or compensates a pending redemption, once. Returns the status it left. */
export async function applyDebitDecision(rt: CivicRuntime, m: EntityManager, d: DebitDecision): Promise<string | null> {
  const rows: { status: string }[] = await m.query(
    `SELECT status FROM "${SCHEMA}".redemptions WHERE id = $1 AND points_kind = 'VOLUNTEER' FOR UPDATE`,
    [d.redemptionId],
  );
  if (!rows.length) return null;
  if (rows[0].status !== 'PENDING') return rows[0].status;
  const now = rt.clock.now();
  if (d.outcome === 'DEBITED') {
    await m.query(`UPDATE "${SCHEMA}".redemptions SET status = 'COMPLETED', balance_after = $2, settled_at = $3 WHERE id = $1`, [d.redemptionId, d.balanceAfter, now]);
    await announceSettled(m, d.redemptionId);
    return 'COMPLETED';
  }
  if (d.outcome !== 'REFUSED') throw new Error(`unknown supermarket decision ${String(d.outcome)} for ${d.redemptionId}`);
  // the compensating step: lock the items in id order (as redeem does), then give the stock back
  const lines: { reward_id: string; quantity: number }[] = await m.query(
    `SELECT l.reward_id, l.quantity FROM "${SCHEMA}".redemption_lines l JOIN "${SCHEMA}".reward_items i ON i.id = l.reward_id
      WHERE l.redemption_id = $1 ORDER BY i.id FOR UPDATE OF i`,
    [d.redemptionId],
  );
  await m.query(
    `UPDATE "${SCHEMA}".reward_items i SET stock = i.stock + x.qty FROM unnest($1::uuid[], $2::int[]) AS x(id, qty) WHERE i.id = x.id`,
    [lines.map((l) => l.reward_id), lines.map((l) => l.quantity)],
  );
  await m.query(`UPDATE "${SCHEMA}".redemptions SET status = 'FAILED', failure = $3, settled_at = $2 WHERE id = $1`, [d.redemptionId, now, d.cause ?? 'INSUFFICIENT_POINTS']);
  await releaseHolderCode(m, d.redemptionId, now);
  await announceSettled(m, d.redemptionId);
  return 'FAILED';
}

/**
 * The recovery job: every redemption pending for longer than `olderThanMs` (by the runtime's
 * clock) is asked for again — or, once it has been pending since its reservation for longer than
 * `giveUpAfterMs`, given up (`abandoned_at`) and its cancellation asked for, then asked again at
 * every later run until volunteering answers. A batch per transaction; rows another replica is
 * resuming are skipped. Returns how many were asked (for the points or the cancellation). Safe
 * to run at any time, twice, or in parallel.
 */
export async function resumePendingRedemptions(rt: CivicRuntime, o: { olderThanMs?: number; giveUpAfterMs?: number; batchSize?: number } = {}): Promise<number> {
  const olderThanMs = o.olderThanMs ?? rt.options.resumeAfterMs;
  const giveUpAfterMs = o.giveUpAfterMs ?? rt.options.giveUpAfterMs;
  const batchSize = o.batchSize ?? 200;
  let total = 0;
  for (;;) {
    const n = await rt.ds.transaction(async (m) => {
      const now = rt.clock.now();
      const due: { id: string; resident_id: string; total_points: number; give_up: boolean }[] = await m.query(
        `SELECT id, resident_id, total_points, (abandoned_at IS NOT NULL OR created_at <= $3) AS give_up FROM "${SCHEMA}".redemptions
          WHERE status = 'PENDING' AND requested_at <= $1 ORDER BY requested_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [new Date(now.getTime() - olderThanMs), batchSize, new Date(now.getTime() - giveUpAfterMs)],
      );
      for (const r of due) await (r.give_up ? cancel : request)(m, r.id, r.resident_id, r.total_points);
      if (due.length) {
        await m.query(
          `UPDATE "${SCHEMA}".redemptions SET requested_at = $2, requests = requests + 1,
             abandoned_at = CASE WHEN id = ANY($3::uuid[]) THEN coalesce(abandoned_at, $2) ELSE abandoned_at END
            WHERE id = ANY($1::uuid[])`,
          [due.map((r) => r.id), now, due.filter((r) => r.give_up).map((r) => r.id)],
        );
      }
      return due.length;
    });
    total += n;
    if (n < batchSize) return total;
  }
}

/** Volunteering's decisions, applied as they arrive. */
export function exchangeHandlers(rt: CivicRuntime): Record<string, EventHandler> {
  return {
    [EXCHANGE_TOPICS.debitDecided.topic]: async (m: EntityManager, e: DomainEvent) => {
      await applyDebitDecision(rt, m, parsePayload(EXCHANGE_TOPICS.debitDecided, e.payload));
    },
  };
}
