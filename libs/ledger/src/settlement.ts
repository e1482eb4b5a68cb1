import type { EntityManager } from 'typeorm';
import { badInput, notFound } from '@citypoints/kit';
import { lockAccounts, lockKey, RESERVED_KEY_PREFIX, type LedgerScope } from './internal';
import { postWith } from './posting';
import { annualStatement } from './statements';
import type { AnnualStatement } from './types';

/**
 * Closes a year: the balance at the time of the call goes into the annual statement and moves
 * to `settlementAccountId`, so the spendable balance restarts at 0. Once per (account, year).
 */
export async function settleYear(s: LedgerScope, m: EntityManager, opts: { accountId: string; year: number; settlementAccountId: string }): Promise<AnnualStatement> {
  if (!Number.isInteger(opts.year) || opts.year < 1970 || opts.year > 9999) throw badInput('year is out of range');
  const key = `${RESERVED_KEY_PREFIX}settle:${opts.accountId}:${opts.year}`;
  await lockKey(s, m, key);
  const existing = await annualStatement(s, m, opts.accountId, opts.year);
  if (existing) return { ...existing, replayed: true };
  const locked = await lockAccounts(s, m, [opts.accountId, opts.settlementAccountId]);
  const account = locked.get(opts.accountId);
  if (!account) throw notFound('ledger account', opts.accountId);
  if (!account.policy.yearlySettlement) {
    throw badInput(`ledger account ${opts.accountId} is not settled yearly`, { accountId: opts.accountId });
  }
  let transactionId: string | null = null;
  if (account.balance !== 0) {
    const result = await postWith(
      s,
      m,
      {
        idempotencyKey: key,
        kind: 'YEARLY_SETTLEMENT',
        metadata: { year: opts.year },
        entries: [
          { accountId: opts.accountId, amount: -account.balance },
          { accountId: opts.settlementAccountId, amount: account.balance },
        ],
      },
      { kind: 'all' },
    );
    transactionId = result.transactionId;
  }
  const createdAt = s.clock.now();
  await m.query(
    `INSERT INTO ${s.t.statements} (account_id, year, closing_balance, transaction_id, created_at)
     VALUES ($1, $2, $3, $4, $5)`,
    [opts.accountId, opts.year, account.balance, transactionId, createdAt],
  );
  return { accountId: opts.accountId, year: opts.year, closingBalance: account.balance, transactionId, createdAt, replayed: false };
}
