import type { EntityManager } from 'typeorm';
import { findTransaction, lockAccounts, lockKey, RESERVED_KEY_PREFIX, type LedgerScope } from './internal';
import { postWith } from './posting';

/**
 * Moves each expired lot's remainder to `expiryAccountId`, one transaction per lot keyed by the
 * lot id, so a job that runs twice or concurrently expires each lot once.
 */
export async function expireLots(s: LedgerScope, m: EntityManager, opts: { now?: Date; expiryAccountId: string; batchSize?: number }): Promise<number> {
  const now = opts.now ?? s.clock.now();
  const batchSize = opts.batchSize ?? 500;
  const candidates: { id: string; account_id: string }[] = await m.query(
    `SELECT id, account_id FROM ${s.t.lots} WHERE remaining > 0 AND expires_at <= $1
      ORDER BY expires_at, id LIMIT $2`,
    [now, batchSize],
  );
  if (candidates.length === 0) return 0;
  // every account of the batch at once, in the global order, before any lot is read: a batch
  // locking account by account would hold one while waiting for another, and could deadlock
  await lockAccounts(s, m, [opts.expiryAccountId, ...candidates.map((c) => c.account_id)]);
  let expired = 0;
  for (const c of candidates) {
    const lotId = Number(c.id);
    const key = `${RESERVED_KEY_PREFIX}expire-lot:${lotId}`;
    await lockKey(s, m, key);
    if (await findTransaction(s, m, key)) continue;
    // lots change only under their account's lock, which we hold: this is the current remainder
    const lot: { remaining: string }[] = await m.query(`SELECT remaining FROM ${s.t.lots} WHERE id = $1`, [lotId]);
    const remaining = Number(lot[0].remaining);
    if (remaining === 0) continue;
    await postWith(
      s,
      m,
      {
        idempotencyKey: key,
        kind: 'EXPIRY',
        metadata: { lotId },
        entries: [
          { accountId: c.account_id, amount: -remaining },
          { accountId: opts.expiryAccountId, amount: remaining },
        ],
      },
      { kind: 'one', lotId },
    );
    expired++;
  }
  return expired;
}
