import type { EntityManager } from 'typeorm';
import { badInput } from '@citypoints/kit';
import { MAX_HISTORY, type LedgerScope } from './internal';
import type { AnnualStatement, HistoryEntry } from './types';

/** An account's postings, newest first; `before` is the postingId of the last entry of the previous page. */
export async function accountHistory(
  s: LedgerScope,
  m: EntityManager,
  accountId: string,
  opts: { limit?: number; before?: number } = {},
): Promise<HistoryEntry[]> {
  const limit = opts.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY) {
    throw badInput(`limit must be an integer from 1 to ${MAX_HISTORY}`);
  }
  const rows: {
    id: string;
    transaction_id: string;
    kind: string;
    memo: string | null;
    metadata: Record<string, unknown>;
    amount: string;
    balance_after: string;
    lot_id: string | null;
    created_at: Date;
  }[] = await m.query(
    `SELECT p.id, p.transaction_id, t.kind, t.memo, t.metadata, p.amount, p.balance_after, p.lot_id, p.created_at
       FROM ${s.t.postings} p JOIN ${s.t.transactions} t ON t.id = p.transaction_id
      WHERE p.account_id = $1 AND ($2::bigint IS NULL OR p.id < $2::bigint)
      ORDER BY p.id DESC LIMIT $3`,
    [accountId, opts.before ?? null, limit],
  );
  return rows.map((r) => ({
    postingId: Number(r.id),
    transactionId: r.transaction_id,
    kind: r.kind,
    memo: r.memo,
    metadata: r.metadata,
    amount: Number(r.amount),
    balanceAfter: Number(r.balance_after),
    lotId: r.lot_id === null ? null : Number(r.lot_id),
    createdAt: r.created_at,
  }));
}

/** The annual statement of an account's year, if that year was settled. */
export async function annualStatement(s: LedgerScope, m: EntityManager, accountId: string, year: number): Promise<Omit<AnnualStatement, 'replayed'> | null> {
  const rows: { closing_balance: string; transaction_id: string | null; created_at: Date }[] = await m.query(
    `SELECT closing_balance, transaction_id, created_at FROM ${s.t.statements}
      WHERE account_id = $1 AND year = $2`,
    [accountId, year],
  );
  if (!rows.length) return null;
  return {
    accountId,
    year,
    closingBalance: Number(rows[0].closing_balance),
    transactionId: rows[0].transaction_id,
    createdAt: rows[0].created_at,
  };
}
