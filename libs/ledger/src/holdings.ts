import type { EntityManager } from 'typeorm';
import type { LedgerScope } from './internal';

/** Everything the ledger holds for one owner, as that owner may see it (a resident's own data). */
export interface LedgerHoldings {
  accounts: {
    kind: string;
    balance: number;
    lifetimeEarned: number;
    lifetimeSpent: number;
    openedAt: string;
    postings: { at: string; transactionKind: string; memo: string | null; metadata: unknown; amount: number; balanceAfter: number; counterparties: string[] }[];
    lots: { originalAmount: number; remaining: number; expiresAt: string | null; createdAt: string }[];
    annualStatements: { year: number; closingBalance: number; at: string }[];
  }[];
}

/** What stands for another person in the owner's view of a transaction they share (a gift's other party). */
export const OTHER_PARTY = 'another resident';

/**
 * The owner's accounts with every posting, lot and annual statement. The other side of a
 * posting shows only its account kind; where it is an account of another person (an account of
 * one of `personKinds` owned by someone else), that person's id is masked wherever it stands in the memo or the metadata.
 * Account ids are left out: they are built from owner ids.
 */
export async function holdingsOf(s: LedgerScope, m: EntityManager, ownerId: string, personKinds: readonly string[]): Promise<LedgerHoldings> {
  const accounts: { id: string; kind: string; balance: string; lifetime_earned: string; lifetime_spent: string; created_at: Date }[] = await m.query(
    `SELECT id, kind, balance, lifetime_earned, lifetime_spent, created_at FROM ${s.t.accounts} WHERE owner_id = $1 ORDER BY created_at, id`,
    [ownerId],
  );
  const ids = accounts.map((a) => a.id);
  if (!ids.length) return { accounts: [] };
  // one after another: `m` may be a transaction's manager, one connection that runs one query at a time
  const postings: { account_id: string; transaction_id: string; kind: string; memo: string | null; metadata: unknown; amount: string; balance_after: string; created_at: Date }[] = await m.query(
    `SELECT p.account_id, p.transaction_id, t.kind, t.memo, t.metadata, p.amount, p.balance_after, p.created_at
       FROM ${s.t.postings} p JOIN ${s.t.transactions} t ON t.id = p.transaction_id
      WHERE p.account_id = ANY($1) ORDER BY p.id`,
    [ids],
  );
  const others: { transaction_id: string; kind: string; owner_id: string }[] = await m.query(
    `SELECT DISTINCT o.transaction_id, a.kind, a.owner_id
       FROM ${s.t.postings} p JOIN ${s.t.postings} o ON o.transaction_id = p.transaction_id AND o.account_id <> ALL($1)
       JOIN ${s.t.accounts} a ON a.id = o.account_id
      WHERE p.account_id = ANY($1)`,
    [ids],
  );
  const lots: { account_id: string; original_amount: string; remaining: string; expires_at: Date | null; created_at: Date }[] = await m.query(
    `SELECT account_id, original_amount, remaining, expires_at, created_at FROM ${s.t.lots} WHERE account_id = ANY($1) ORDER BY id`,
    [ids],
  );
  const statements: { account_id: string; year: number; closing_balance: string; created_at: Date }[] = await m.query(
    `SELECT account_id, year, closing_balance, created_at FROM ${s.t.statements} WHERE account_id = ANY($1) ORDER BY year`,
    [ids],
  );
  const persons = new Set(others.filter((o) => personKinds.includes(o.kind) && o.owner_id !== ownerId).map((o) => o.owner_id));
  const kindsOf = new Map<string, string[]>();
  for (const o of others) kindsOf.set(o.transaction_id, [...(kindsOf.get(o.transaction_id) ?? []), o.kind]);
  const mask = (v: unknown): unknown => {
    if (typeof v === 'string') return [...persons].reduce((text, id) => text.split(id).join(OTHER_PARTY), v);
    if (Array.isArray(v)) return v.map(mask);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mask(x)]));
    return v;
  };
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    accounts: accounts.map((a) => ({
      kind: a.kind,
      balance: Number(a.balance),
      lifetimeEarned: Number(a.lifetime_earned),
      lifetimeSpent: Number(a.lifetime_spent),
      openedAt: iso(a.created_at)!,
      postings: postings
        .filter((p) => p.account_id === a.id)
        .map((p) => ({
          at: iso(p.created_at)!,
          transactionKind: p.kind,
          memo: mask(p.memo) as string | null,
          metadata: mask(p.metadata),
          amount: Number(p.amount),
          balanceAfter: Number(p.balance_after),
          counterparties: [...new Set(kindsOf.get(p.transaction_id) ?? [])],
        })),
      lots: lots
        .filter((l) => l.account_id === a.id)
        .map((l) => ({ originalAmount: Number(l.original_amount), remaining: Number(l.remaining), expiresAt: iso(l.expires_at), createdAt: iso(l.created_at)! })),
      annualStatements: statements.filter((t) => t.account_id === a.id).map((t) => ({ year: t.year, closingBalance: Number(t.closing_balance), at: iso(t.created_at)! })),
    })),
  };
}
