import type { EntityManager } from 'typeorm';
import { EXCHANGE_TOPICS, parsePayload, publishFact, type DomainEvent, type EventHandler } from '@citypoints/events';
import { DomainError } from '@citypoints/kit';
import { INSUFFICIENT_POINTS } from '@citypoints/ledger';
import { SCHEMA, type VolunteeringRuntime } from '../runtime';
import { ensurePointsAccount } from '../points/points.service';

/**
 * Volunteer points at the points supermarket (docs/domain/08-volunteering.md). Civic reserves the
 * stock and asks, by an event, for the points; volunteering debits the resident's time-bank
 * points (the lots that expire soonest first) or refuses for want of points, and answers by an
 * event. The first decision on a redemption is kept and is final: a repeated request (a
 * redelivery, or civic's recovery job asking again) gets the same answer and debits nothing more.
 *
 * Civic gives up a redemption pending too long and asks to cancel it: undecided, it is refused
 * (cause ABANDONED) and a request arriving later gets that refusal; decided, the cancellation
 * gets the decision — a debit stays a debit, and civic completes the redemption.
 */

/** Where redeemed points go: out of circulation, to the city's supermarket account (redemption is final). */
export const SUPERMARKET_ACCOUNT = 'vol:SUPERMARKET';

export interface RedemptionRequest {
  redemptionId: string;
  residentId: string;
  points: number;
}

export type DebitOutcome = 'DEBITED' | 'REFUSED';
/** why a redemption was refused: the points fell short, or civic gave it up before a decision */
export type RefusalCause = 'INSUFFICIENT_POINTS' | 'ABANDONED';

export interface DebitDecision {
  redemptionId: string;
  outcome: DebitOutcome;
  balanceAfter: number | null;
  /** set when REFUSED */
  cause: RefusalCause | null;
}

interface DebitRow {
  redemption_id: string;
  resident_id: string;
  points: number;
  outcome: DebitOutcome;
  balance_after: number | null;
  cause: RefusalCause | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function validRequest(p: Partial<RedemptionRequest>): RedemptionRequest {
  if (typeof p.redemptionId !== 'string' || !UUID.test(p.redemptionId)) throw new Error('supermarket request without a redemption id');
  if (typeof p.residentId !== 'string' || !UUID.test(p.residentId)) throw new Error(`supermarket request ${p.redemptionId} without a resident`);
  if (!Number.isInteger(p.points) || (p.points as number) < 1) throw new Error(`supermarket request ${p.redemptionId} without points`);
  return { redemptionId: p.redemptionId.toLowerCase(), residentId: p.residentId, points: p.points as number };
}

/**
 * Decides one redemption in the caller's transaction, once: the redemption id locks the decision,
 * a stored decision is answered again, a new one debits through the ledger (keyed by the
 * redemption, so even a ledger replay moves nothing twice) or is refused when the points do not
 * cover it. The answer goes to the outbox in the same transaction.
 */
export async function decideRedemption(rt: VolunteeringRuntime, m: EntityManager, request: RedemptionRequest): Promise<DebitDecision> {
  const r = validRequest(request);
  let decision = await priorDecision(m, r);
  if (!decision) {
    await rt.ledger.openAccount(m, { id: SUPERMARKET_ACCOUNT, ownerId: 'city', kind: 'SUPERMARKET' });
    const account = await ensurePointsAccount(rt, m, r.residentId);
    let transactionId: string | null = null;
    let balanceAfter: number | null = null;
    try {
      const posted = await rt.ledger.post(m, {
        idempotencyKey: `supermarket:${r.redemptionId}`,
        kind: 'SUPERMARKET_REDEMPTION',
        metadata: { redemptionId: r.redemptionId, residentId: r.residentId },
        entries: [
          { accountId: account, amount: -r.points },
          { accountId: SUPERMARKET_ACCOUNT, amount: r.points },
        ],
      });
      transactionId = posted.transactionId;
      balanceAfter = posted.balances[account];
    } catch (e) {
      // the ledger checks before it writes: a refused debit leaves nothing behind
      if (!(e instanceof DomainError && e.code === INSUFFICIENT_POINTS)) throw e;
    }
    decision = transactionId
      ? { redemptionId: r.redemptionId, outcome: 'DEBITED', balanceAfter, cause: null }
      : { redemptionId: r.redemptionId, outcome: 'REFUSED', balanceAfter: null, cause: 'INSUFFICIENT_POINTS' };
    await storeDecision(rt, m, r, decision, transactionId);
  }
  await publishFact(m, SCHEMA, EXCHANGE_TOPICS.debitDecided, r.redemptionId, { ...decision });
  return decision;
}

/**
 * Civic gave the redemption up: refused (cause ABANDONED) unless decided already, in the caller's
 * transaction and under the same lock as a decision, so a request and a cancellation of one
 * redemption never both decide. A decided redemption gets its decision again, a debit included.
 */
export async function cancelRedemption(rt: VolunteeringRuntime, m: EntityManager, request: RedemptionRequest): Promise<DebitDecision> {
  const r = validRequest(request);
  let decision = await priorDecision(m, r);
  if (!decision) {
    decision = { redemptionId: r.redemptionId, outcome: 'REFUSED', balanceAfter: null, cause: 'ABANDONED' };
    await storeDecision(rt, m, r, decision, null);
  }
  await publishFact(m, SCHEMA, EXCHANGE_TOPICS.debitDecided, r.redemptionId, { ...decision });
  return decision;
}

/** Takes the redemption's lock (to the end of the transaction) and returns its decision, if any. */
async function priorDecision(m: EntityManager, r: RedemptionRequest): Promise<DebitDecision | null> {
  await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`volunteering:supermarket:${r.redemptionId}`]);
  const prior: DebitRow[] = await m.query(
    `SELECT redemption_id, resident_id, points, outcome, balance_after, cause FROM "${SCHEMA}".supermarket_debits WHERE redemption_id = $1`,
    [r.redemptionId],
  );
  if (!prior.length) return null;
  const p = prior[0];
  if (p.resident_id !== r.residentId || p.points !== r.points) throw new Error(`supermarket request ${r.redemptionId} differs from the one decided`);
  return { redemptionId: r.redemptionId, outcome: p.outcome, balanceAfter: p.balance_after, cause: p.cause };
}

async function storeDecision(rt: VolunteeringRuntime, m: EntityManager, r: RedemptionRequest, d: DebitDecision, transactionId: string | null): Promise<void> {
  await m.query(
    `INSERT INTO "${SCHEMA}".supermarket_debits (redemption_id, resident_id, points, outcome, ledger_transaction_id, balance_after, decided_at, cause) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [r.redemptionId, r.residentId, r.points, d.outcome, transactionId, d.balanceAfter, rt.clock.now(), d.cause],
  );
}

/** The event handlers of the exchange: civic's requests for volunteer points, and its cancellations. */
export function supermarketHandlers(rt: VolunteeringRuntime): Record<string, EventHandler> {
  return {
    [EXCHANGE_TOPICS.redemptionRequested.topic]: async (m: EntityManager, e: DomainEvent) => {
      await decideRedemption(rt, m, parsePayload(EXCHANGE_TOPICS.redemptionRequested, e.payload));
    },
    [EXCHANGE_TOPICS.redemptionCancelled.topic]: async (m: EntityManager, e: DomainEvent) => {
      await cancelRedemption(rt, m, parsePayload(EXCHANGE_TOPICS.redemptionCancelled, e.payload));
    },
  };
}
