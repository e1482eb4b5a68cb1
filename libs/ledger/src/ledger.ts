import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { badInput, conflict, DomainError, ErrorCode, notFound, systemClock, type Clock } from '@citypoints/kit';
import { ledgerTables, type LedgerTables } from './schema';

export interface AccountPolicy {
  /** credits become lots valid this many months; debits spend the lot expiring first */
  expiryMonths?: number;
  /** the balance is closed into an annual statement each year and restarts at 0 */
  yearlySettlement?: boolean;
}

export interface OpenAccountInput {
  id: string;
  ownerId: string;
  kind: string;
  allowNegative?: boolean;
  policy?: AccountPolicy;
}

export interface LedgerAccount {
  id: string;
  ownerId: string;
  kind: string;
  allowNegative: boolean;
  policy: AccountPolicy;
  balance: number;
  lifetimeEarned: number;
  lifetimeSpent: number;
  createdAt: Date;
}

export interface PostingEntry {
  accountId: string;
  /** positive credits the account, negative debits it */
  amount: number;
}

export interface PostInput {
  idempotencyKey: string;
  kind: string;
  memo?: string;
  metadata?: Record<string, unknown>;
  entries: PostingEntry[];
}

export interface PostResult {
  transactionId: string;
  /** true when the key had been posted before: nothing moved, the first result is returned */
  replayed: boolean;
  /** each touched account's balance right after this transaction */
  balances: Record<string, number>;
}

export interface HistoryEntry {
  postingId: number;
  transactionId: string;
  kind: string;
  memo: string | null;
  metadata: Record<string, unknown>;
  amount: number;
  balanceAfter: number;
  lotId: number | null;
  createdAt: Date;
}

export interface AnnualStatement {
  accountId: string;
  year: number;
  closingBalance: number;
  /** null when the closing balance was 0 and nothing had to move */
  transactionId: string | null;
  createdAt: Date;
  replayed: boolean;
}

export interface InvariantViolation {
  rule:
    | 'BALANCE_NOT_SUM_OF_POSTINGS'
    | 'BALANCE_AFTER_MISMATCH'
    | 'LIFETIME_EARNED_MISMATCH'
    | 'LIFETIME_SPENT_MISMATCH'
    | 'NEGATIVE_BALANCE'
    | 'TRANSACTION_NOT_BALANCED'
    | 'LOTS_NOT_BALANCE';
  subject: string;
  detail: string;
}

export interface LedgerOptions {
  schema: string;
  clock?: Clock;
}

/** Which lots a debit of an expiring account may take. */
type LotMode = { kind: 'unexpired' } | { kind: 'all' } | { kind: 'one'; lotId: number };

interface AccountRow {
  id: string;
  owner_id: string;
  kind: string;
  allow_negative: boolean;
  policy: AccountPolicy;
  balance: string;
  lifetime_earned: string;
  lifetime_spent: string;
  created_at: Date;
}

interface PlannedPosting {
  accountId: string;
  amount: number;
  balanceAfter: number;
  lotId: number | null;
  /** a credit to an expiring account: the lot is created once the transaction row exists */
  newLotMonths?: number;
}

const MAX_ID = 200;
const MAX_KEY = 300;
const MAX_HISTORY = 500;
const RESERVED_KEY_PREFIX = 'ledger:';
const ACCOUNT_COLUMNS =
  'id, owner_id, kind, allow_negative, policy, balance, lifetime_earned, lifetime_spent, created_at';

/**
 * A double-entry points ledger living in the calling subgraph's schema. Every method takes the
 * caller's EntityManager so ledger rows commit or roll back together with the caller's own rows;
 * it assumes READ COMMITTED (PostgreSQL's default), where each statement sees rows committed by
 * the transaction that held a lock before us.
 */
export class Ledger {
  private readonly t: LedgerTables;
  private readonly schema: string;
  private readonly clock: Clock;

  constructor(opts: LedgerOptions) {
    this.t = ledgerTables(opts.schema);
    this.schema = opts.schema;
    this.clock = opts.clock ?? systemClock;
  }

  async openAccount(m: EntityManager, input: OpenAccountInput): Promise<LedgerAccount> {
    checkText('account id', input.id, MAX_ID);
    checkText('owner id', input.ownerId, MAX_ID);
    checkText('account kind', input.kind, MAX_ID);
    const policy = normalisePolicy(input.policy ?? {});
    const allowNegative = input.allowNegative ?? false;
    if (allowNegative && policy.expiryMonths !== undefined) {
      throw badInput('an account with expiring points cannot go negative', { accountId: input.id });
    }
    await m.query(
      `INSERT INTO ${this.t.accounts} (id, owner_id, kind, allow_negative, policy, created_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6) ON CONFLICT (id) DO NOTHING`,
      [input.id, input.ownerId, input.kind, allowNegative, JSON.stringify(policy), this.clock.now()],
    );
    const account = await this.account(m, input.id);
    if (!account) throw new Error(`ledger account ${input.id} vanished right after insert`);
    // an id reused for a different account would silently change what the caller's postings mean
    if (
      account.ownerId !== input.ownerId ||
      account.kind !== input.kind ||
      account.allowNegative !== allowNegative ||
      canonical(account.policy) !== canonical(policy)
    ) {
      throw conflict(`ledger account ${input.id} exists with other attributes`, { accountId: input.id });
    }
    return account;
  }

  async account(m: EntityManager, id: string): Promise<LedgerAccount | null> {
    const rows: AccountRow[] = await m.query(`SELECT ${ACCOUNT_COLUMNS} FROM ${this.t.accounts} WHERE id = $1`, [id]);
    return rows.length ? toAccount(rows[0]) : null;
  }

  /** Aligned with `ids` (null where unknown), so it can back a DataLoader. */
  async accounts(m: EntityManager, ids: readonly string[]): Promise<(LedgerAccount | null)[]> {
    if (ids.length === 0) return [];
    const rows: AccountRow[] = await m.query(
      `SELECT ${ACCOUNT_COLUMNS} FROM ${this.t.accounts} WHERE id = ANY($1::text[])`,
      [[...new Set(ids)]],
    );
    const byId = new Map(rows.map((r) => [r.id, toAccount(r)]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  async balance(m: EntityManager, accountId: string): Promise<number> {
    const rows: { balance: string }[] = await m.query(`SELECT balance FROM ${this.t.accounts} WHERE id = $1`, [
      accountId,
    ]);
    if (!rows.length) throw notFound('ledger account', accountId);
    return Number(rows[0].balance);
  }

  /** Newest first; `before` is the postingId of the last entry of the previous page. */
  async history(
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
         FROM ${this.t.postings} p JOIN ${this.t.transactions} t ON t.id = p.transaction_id
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

  post(m: EntityManager, input: PostInput): Promise<PostResult> {
    // the ledger derives its own keys (expiry, settlement) under this prefix
    if (typeof input.idempotencyKey === 'string' && input.idempotencyKey.startsWith(RESERVED_KEY_PREFIX)) {
      return Promise.reject(badInput(`idempotency keys starting with ${RESERVED_KEY_PREFIX} are reserved`));
    }
    return this.postWith(m, input, { kind: 'unexpired' });
  }

  /**
   * Moves each expired lot's remainder to `expiryAccountId`, one transaction per lot keyed by the
   * lot id, so a job that runs twice or concurrently expires each lot once.
   */
  async expireLots(
    m: EntityManager,
    opts: { now?: Date; expiryAccountId: string; batchSize?: number },
  ): Promise<number> {
    const now = opts.now ?? this.clock.now();
    const batchSize = opts.batchSize ?? 500;
    const candidates: { id: string; account_id: string }[] = await m.query(
      `SELECT id, account_id FROM ${this.t.lots} WHERE remaining > 0 AND expires_at <= $1
        ORDER BY expires_at, id LIMIT $2`,
      [now, batchSize],
    );
    if (candidates.length === 0) return 0;
    // every account of the batch at once, in the global order, before any lot is read: a batch
    // locking account by account would hold one while waiting for another, and could deadlock
    await this.lockAccounts(m, [opts.expiryAccountId, ...candidates.map((c) => c.account_id)]);
    let expired = 0;
    for (const c of candidates) {
      const lotId = Number(c.id);
      const key = `${RESERVED_KEY_PREFIX}expire-lot:${lotId}`;
      await this.lockKey(m, key);
      if (await this.findTransaction(m, key)) continue;
      // lots change only under their account's lock, which we hold: this is the current remainder
      const lot: { remaining: string }[] = await m.query(`SELECT remaining FROM ${this.t.lots} WHERE id = $1`, [
        lotId,
      ]);
      const remaining = Number(lot[0].remaining);
      if (remaining === 0) continue;
      await this.postWith(
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

  /**
   * Closes a year: the balance at the time of the call goes into the annual statement and moves
   * to `settlementAccountId`, so the spendable balance restarts at 0. Once per (account, year).
   */
  async settleYear(
    m: EntityManager,
    opts: { accountId: string; year: number; settlementAccountId: string },
  ): Promise<AnnualStatement> {
    if (!Number.isInteger(opts.year) || opts.year < 1970 || opts.year > 9999) throw badInput('year is out of range');
    const key = `${RESERVED_KEY_PREFIX}settle:${opts.accountId}:${opts.year}`;
    await this.lockKey(m, key);
    const existing = await this.statement(m, opts.accountId, opts.year);
    if (existing) return { ...existing, replayed: true };
    const locked = await this.lockAccounts(m, [opts.accountId, opts.settlementAccountId]);
    const account = locked.get(opts.accountId);
    if (!account) throw notFound('ledger account', opts.accountId);
    if (!account.policy.yearlySettlement) {
      throw badInput(`ledger account ${opts.accountId} is not settled yearly`, { accountId: opts.accountId });
    }
    let transactionId: string | null = null;
    if (account.balance !== 0) {
      const result = await this.postWith(
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
    const createdAt = this.clock.now();
    await m.query(
      `INSERT INTO ${this.t.statements} (account_id, year, closing_balance, transaction_id, created_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [opts.accountId, opts.year, account.balance, transactionId, createdAt],
    );
    return {
      accountId: opts.accountId,
      year: opts.year,
      closingBalance: account.balance,
      transactionId,
      createdAt,
      replayed: false,
    };
  }

  async statement(
    m: EntityManager,
    accountId: string,
    year: number,
  ): Promise<Omit<AnnualStatement, 'replayed'> | null> {
    const rows: { closing_balance: string; transaction_id: string | null; created_at: Date }[] = await m.query(
      `SELECT closing_balance, transaction_id, created_at FROM ${this.t.statements}
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

  /** Every way the stored state can disagree with the postings; empty when the ledger is sound. */
  async checkInvariants(m: EntityManager): Promise<InvariantViolation[]> {
    const t = this.t;
    const violations: InvariantViolation[] = [];
    const accounts: {
      id: string;
      allow_negative: boolean;
      expiring: boolean;
      balance: string;
      lifetime_earned: string;
      lifetime_spent: string;
      posted: string;
      earned: string;
      spent: string;
      last_after: string | null;
      lots: string;
    }[] = await m.query(
      `SELECT a.id, a.allow_negative, a.policy ? 'expiryMonths' AS expiring,
              a.balance, a.lifetime_earned, a.lifetime_spent,
              coalesce(p.posted, 0) AS posted, coalesce(p.earned, 0) AS earned, coalesce(p.spent, 0) AS spent,
              (SELECT balance_after FROM ${t.postings} l WHERE l.account_id = a.id ORDER BY l.id DESC LIMIT 1) AS last_after,
              coalesce((SELECT sum(remaining) FROM ${t.lots} o WHERE o.account_id = a.id), 0) AS lots
         FROM ${t.accounts} a
         LEFT JOIN (
           SELECT account_id, sum(amount) AS posted,
                  sum(amount) FILTER (WHERE amount > 0) AS earned,
                  -sum(amount) FILTER (WHERE amount < 0) AS spent
             FROM ${t.postings} GROUP BY account_id
         ) p ON p.account_id = a.id
        ORDER BY a.id`,
    );
    for (const a of accounts) {
      const balance = Number(a.balance);
      const check = (rule: InvariantViolation['rule'], stored: number, expected: number, what: string) => {
        if (stored !== expected) violations.push({ rule, subject: a.id, detail: `${what} ${stored}, expected ${expected}` });
      };
      check('BALANCE_NOT_SUM_OF_POSTINGS', balance, Number(a.posted), 'balance');
      if (a.last_after !== null) check('BALANCE_AFTER_MISMATCH', balance, Number(a.last_after), 'balance');
      check('LIFETIME_EARNED_MISMATCH', Number(a.lifetime_earned), Number(a.earned), 'lifetime_earned');
      check('LIFETIME_SPENT_MISMATCH', Number(a.lifetime_spent), Number(a.spent), 'lifetime_spent');
      if (a.expiring) check('LOTS_NOT_BALANCE', Number(a.lots), balance, 'sum of lot remainders');
      if (!a.allow_negative && balance < 0) {
        violations.push({ rule: 'NEGATIVE_BALANCE', subject: a.id, detail: `balance ${balance}` });
      }
    }
    const unbalanced: { id: string; total: string | null }[] = await m.query(
      `SELECT t.id, sum(p.amount) AS total
         FROM ${t.transactions} t LEFT JOIN ${t.postings} p ON p.transaction_id = t.id
        GROUP BY t.id HAVING sum(p.amount) IS DISTINCT FROM 0`,
    );
    for (const u of unbalanced) {
      violations.push({
        rule: 'TRANSACTION_NOT_BALANCED',
        subject: u.id,
        detail: u.total === null ? 'no postings' : `postings sum to ${u.total}`,
      });
    }
    return violations;
  }

  private async postWith(m: EntityManager, input: PostInput, lotMode: LotMode): Promise<PostResult> {
    checkText('idempotency key', input.idempotencyKey, MAX_KEY);
    checkText('transaction kind', input.kind, MAX_ID);
    const entries = validateEntries(input.entries);
    const hash = requestHash(input.kind, entries);

    // Callers repeating a key touch the same accounts, so the account locks serialise them and
    // the lookup after the lock sees the first one's commit. A key reused for other accounts is
    // caught by the unique index when the transaction row is written (see writePosting).
    const ids = entries.map((e) => e.accountId);
    const { byId, keyTaken } = await this.lockAccountsAndLookUp(m, ids, input.idempotencyKey);
    if (keyTaken) {
      const replay = await this.replay(m, input.idempotencyKey, hash);
      if (replay) return replay;
    }
    const missing = ids.filter((id) => !byId.has(id));
    if (missing.length) throw notFound('ledger account', missing.join(', '));

    const now = this.clock.now();
    const planned: PlannedPosting[] = [];
    const lotSpends: { lotId: number; amount: number }[] = [];
    const shortfalls: Record<string, unknown>[] = [];
    for (const e of entries) {
      const account = byId.get(e.accountId)!;
      const after = account.balance + e.amount;
      if (!account.allowNegative && after < 0) {
        shortfalls.push({ accountId: account.id, balance: account.balance, required: -e.amount });
        continue;
      }
      const months = account.policy.expiryMonths;
      if (months === undefined) {
        planned.push({ accountId: account.id, amount: e.amount, balanceAfter: after, lotId: null });
      } else if (e.amount > 0) {
        planned.push({ accountId: account.id, amount: e.amount, balanceAfter: after, lotId: null, newLotMonths: months });
      } else {
        const taken = await this.takeFromLots(m, account.id, -e.amount, lotMode, now);
        if (!taken) {
          shortfalls.push({ accountId: account.id, balance: account.balance, required: -e.amount, reason: 'expired' });
          continue;
        }
        let running = account.balance;
        for (const part of taken) {
          running -= part.amount;
          planned.push({ accountId: account.id, amount: -part.amount, balanceAfter: running, lotId: part.lotId });
          lotSpends.push(part);
        }
      }
    }
    if (shortfalls.length) {
      // the first request with this key may have committed while we waited for the locks, and
      // it is what spent the points: a retry gets its result, not a refusal
      const first = await this.replay(m, input.idempotencyKey, hash);
      if (first) return first;
      throw new DomainError(ErrorCode.INSUFFICIENT_POINTS, 'not enough points', { shortfalls });
    }

    // nothing is written before every check passed, so a caller that catches the error and
    // commits anyway leaves no half-posted transaction behind
    const transactionId = randomUUID();
    const written = planned.some((p) => p.newLotMonths !== undefined)
      ? await this.writeWithNewLots(m, input, hash, transactionId, planned, lotSpends, entries, now)
      : await this.writeAtOnce(m, input, hash, transactionId, planned, lotSpends, entries, now);
    if (!written) {
      const first = await this.replay(m, input.idempotencyKey, hash);
      if (first) return first;
      throw conflict(`idempotency key ${input.idempotencyKey} is being used by another request`, { idempotencyKey: input.idempotencyKey });
    }
    const balances: Record<string, number> = {};
    for (const e of entries) balances[e.accountId] = byId.get(e.accountId)!.balance + e.amount;
    return { transactionId, replayed: false, balances };
  }

  /**
   * The transaction row, its postings, lot spends and balances in one statement. The row is
   * claimed with ON CONFLICT DO NOTHING: when another request holds the key, nothing at all is
   * written and the caller replays (or refuses) it.
   */
  private async writeAtOnce(
    m: EntityManager,
    input: PostInput,
    hash: string,
    transactionId: string,
    planned: PlannedPosting[],
    lotSpends: { lotId: number; amount: number }[],
    entries: { accountId: string; amount: number }[],
    now: Date,
  ): Promise<boolean> {
    const rows: { n: number }[] = await m.query(
      `WITH t AS (
         INSERT INTO ${this.t.transactions} (id, idempotency_key, kind, memo, metadata, request_hash, created_at)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, created_at AS at
       ), ${this.applySql(8)}
       SELECT count(*)::int AS n FROM t`,
      [transactionId, input.idempotencyKey, input.kind, input.memo ?? null, JSON.stringify(input.metadata ?? {}), hash, now, ...applyParams(planned, lotSpends, entries)],
    );
    return rows[0].n === 1;
  }

  /** Credits that open lots: the row is claimed and the lots written first, for their ids. */
  private async writeWithNewLots(
    m: EntityManager,
    input: PostInput,
    hash: string,
    transactionId: string,
    planned: PlannedPosting[],
    lotSpends: { lotId: number; amount: number }[],
    entries: { accountId: string; amount: number }[],
    now: Date,
  ): Promise<boolean> {
    const claimed: { id: string }[] = await m.query(
      `INSERT INTO ${this.t.transactions} (id, idempotency_key, kind, memo, metadata, request_hash, created_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
      [transactionId, input.idempotencyKey, input.kind, input.memo ?? null, JSON.stringify(input.metadata ?? {}), hash, now],
    );
    if (!claimed.length) return false;
    for (const p of planned) {
      if (p.newLotMonths === undefined) continue;
      const lot: { id: string }[] = await m.query(
        `INSERT INTO ${this.t.lots} (account_id, original_amount, remaining, expires_at, created_at, source_transaction_id)
         VALUES ($1, $2, $2, $3::timestamptz + make_interval(months => $4), $3, $5) RETURNING id`,
        [p.accountId, p.amount, now, p.newLotMonths, transactionId],
      );
      p.lotId = Number(lot[0].id);
    }
    await m.query(`WITH t AS (SELECT $1::uuid AS id, $2::timestamptz AS at), ${this.applySql(3)} SELECT 1`, [transactionId, now, ...applyParams(planned, lotSpends, entries)]);
    return true;
  }

  /**
   * The CTEs that write a transaction's postings and apply them to lots and balances, for the
   * transaction row `t (id, at)`; nothing is written when `t` is empty. Parameters from `$n` on
   * are those of applyParams.
   */
  private applySql(n: number): string {
    const $ = (i: number) => `$${n + i}`;
    return `p AS (
         INSERT INTO ${this.t.postings} (transaction_id, account_id, amount, balance_after, lot_id, created_at)
         SELECT t.id, x.a, x.amt, x.after, x.lot, t.at
           FROM t, unnest(${$(0)}::text[], ${$(1)}::bigint[], ${$(2)}::bigint[], ${$(3)}::bigint[]) AS x(a, amt, after, lot)
       ), l AS (
         UPDATE ${this.t.lots} l SET remaining = l.remaining - x.amt
           FROM unnest(${$(4)}::bigint[], ${$(5)}::bigint[]) AS x(id, amt)
          WHERE l.id = x.id AND EXISTS (SELECT 1 FROM t)
       ), u AS (
         UPDATE ${this.t.accounts} a
            SET balance = a.balance + x.amt,
                lifetime_earned = a.lifetime_earned + greatest(x.amt, 0),
                lifetime_spent = a.lifetime_spent + greatest(-x.amt, 0)
           FROM unnest(${$(6)}::text[], ${$(7)}::bigint[]) AS x(id, amt)
          WHERE a.id = x.id AND EXISTS (SELECT 1 FROM t)
       )`;
  }

  /** Lots to debit, soonest-expiring first; null when the allowed lots do not cover the amount. */
  private async takeFromLots(
    m: EntityManager,
    accountId: string,
    amount: number,
    mode: LotMode,
    now: Date,
  ): Promise<{ lotId: number; amount: number }[] | null> {
    // the account row is locked by now and lots only change under that lock, so no lot lock is needed
    const params: unknown[] = [accountId];
    let filter = '';
    if (mode.kind === 'unexpired') filter = `AND expires_at > $${params.push(now)}`;
    if (mode.kind === 'one') filter = `AND id = $${params.push(mode.lotId)}`;
    const lots: { id: string; remaining: string }[] = await m.query(
      `SELECT id, remaining FROM ${this.t.lots} WHERE account_id = $1 AND remaining > 0 ${filter}
        ORDER BY expires_at, id`,
      params,
    );
    const taken: { lotId: number; amount: number }[] = [];
    let left = amount;
    for (const lot of lots) {
      if (left === 0) break;
      const part = Math.min(left, Number(lot.remaining));
      taken.push({ lotId: Number(lot.id), amount: part });
      left -= part;
    }
    return left === 0 ? taken : null;
  }

  /**
   * Locks the accounts and, in the same round trip, looks the key up. The lookup's snapshot is
   * taken before the locks are granted, so it can miss a request with the same key that
   * committed meanwhile; the unique key on the transaction row and the replay before a refusal
   * catch that case.
   */
  private async lockAccountsAndLookUp(m: EntityManager, ids: string[], key: string): Promise<{ byId: Map<string, LedgerAccount>; keyTaken: boolean }> {
    const rows: (AccountRow & { key_taken: boolean })[] = await m.query(
      `WITH locked AS (
         SELECT ${ACCOUNT_COLUMNS} FROM ${this.t.accounts} WHERE id = ANY($1::text[]) ORDER BY id COLLATE "C" FOR UPDATE
       )
       SELECT locked.*, EXISTS (SELECT 1 FROM ${this.t.transactions} WHERE idempotency_key = $2) AS key_taken
         FROM locked`,
      [[...new Set(ids)], key],
    );
    return { byId: new Map(rows.map((r) => [r.id, toAccount(r)])), keyTaken: rows.some((r) => r.key_taken) };
  }

  /** One statement, ordered: every caller locks accounts in the same order, so none deadlock. */
  private async lockAccounts(m: EntityManager, ids: string[]): Promise<Map<string, LedgerAccount>> {
    const rows: AccountRow[] = await m.query(
      `SELECT ${ACCOUNT_COLUMNS} FROM ${this.t.accounts} WHERE id = ANY($1::text[]) ORDER BY id COLLATE "C" FOR UPDATE`,
      [[...new Set(ids)]],
    );
    return new Map(rows.map((r) => [r.id, toAccount(r)]));
  }

  private async lockKey(m: EntityManager, key: string): Promise<void> {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ledger:${this.schema}:${key}`]);
  }

  private async findTransaction(m: EntityManager, key: string): Promise<{ id: string; request_hash: string } | null> {
    const rows: { id: string; request_hash: string }[] = await m.query(
      `SELECT id, request_hash FROM ${this.t.transactions} WHERE idempotency_key = $1`,
      [key],
    );
    return rows[0] ?? null;
  }

  private async replay(m: EntityManager, key: string, hash: string): Promise<PostResult | null> {
    const found = await this.findTransaction(m, key);
    if (!found) return null;
    if (found.request_hash !== hash) {
      throw conflict(`idempotency key ${key} was already used for a different request`, { idempotencyKey: key });
    }
    // the balances right after the first posting, as the first caller saw them
    const rows: { account_id: string; balance_after: string }[] = await m.query(
      `SELECT DISTINCT ON (account_id) account_id, balance_after FROM ${this.t.postings}
        WHERE transaction_id = $1 ORDER BY account_id, id DESC`,
      [found.id],
    );
    return {
      transactionId: found.id,
      replayed: true,
      balances: Object.fromEntries(rows.map((r) => [r.account_id, Number(r.balance_after)])),
    };
  }
}

function applyParams(planned: PlannedPosting[], lotSpends: { lotId: number; amount: number }[], entries: { accountId: string; amount: number }[]): unknown[] {
  return [
    planned.map((p) => p.accountId),
    planned.map((p) => p.amount),
    planned.map((p) => p.balanceAfter),
    planned.map((p) => p.lotId),
    lotSpends.map((x) => x.lotId),
    lotSpends.map((x) => x.amount),
    entries.map((e) => e.accountId),
    entries.map((e) => e.amount),
  ];
}

function checkText(what: string, value: unknown, max: number): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw badInput(`${what} must be a string of 1 to ${max} characters`);
  }
}

function normalisePolicy(policy: AccountPolicy): AccountPolicy {
  const out: AccountPolicy = {};
  if (policy.expiryMonths !== undefined) {
    if (!Number.isInteger(policy.expiryMonths) || policy.expiryMonths < 1 || policy.expiryMonths > 1200) {
      throw badInput('expiryMonths must be a whole number of months from 1 to 1200');
    }
    out.expiryMonths = policy.expiryMonths;
  }
  if (policy.yearlySettlement) out.yearlySettlement = true;
  return out;
}

function validateEntries(entries: PostingEntry[]): PostingEntry[] {
  if (!Array.isArray(entries) || entries.length < 2) throw badInput('a transaction needs at least two entries');
  const seen = new Set<string>();
  let sum = 0;
  for (const e of entries) {
    checkText('account id', e.accountId, MAX_ID);
    if (!Number.isSafeInteger(e.amount) || e.amount === 0) {
      throw badInput('each entry amount must be a non-zero whole number of points', { accountId: e.accountId });
    }
    if (seen.has(e.accountId)) throw badInput(`account ${e.accountId} appears twice in one transaction`);
    seen.add(e.accountId);
    sum += e.amount;
  }
  if (sum !== 0) throw badInput(`entries must sum to zero (double entry), they sum to ${sum}`, { sum });
  return entries.map((e) => ({ accountId: e.accountId, amount: e.amount }));
}

/** What makes two requests "the same" for idempotency: the kind and the entries, in any order. */
function requestHash(kind: string, entries: PostingEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));
  return createHash('sha256')
    .update(JSON.stringify([kind, sorted.map((e) => [e.accountId, e.amount])]))
    .digest('hex');
}

function canonical(policy: AccountPolicy): string {
  return JSON.stringify([policy.expiryMonths ?? null, policy.yearlySettlement ?? false]);
}

function toAccount(r: AccountRow): LedgerAccount {
  return {
    id: r.id,
    ownerId: r.owner_id,
    kind: r.kind,
    allowNegative: r.allow_negative,
    policy: r.policy,
    balance: Number(r.balance),
    lifetimeEarned: Number(r.lifetime_earned),
    lifetimeSpent: Number(r.lifetime_spent),
    createdAt: r.created_at,
  };
}
