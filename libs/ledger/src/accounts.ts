import type { EntityManager } from 'typeorm';
import { badInput, conflict, notFound } from '@citypoints/kit';
import { ACCOUNT_COLUMNS, checkText, MAX_ID, toAccount, type AccountRow, type LedgerScope } from './internal';
import type { AccountPolicy, LedgerAccount, OpenAccountInput } from './types';

/** Opens an account once; the same call again returns it, other attributes under the same id are a CONFLICT. */
export async function openAccount(s: LedgerScope, m: EntityManager, input: OpenAccountInput): Promise<LedgerAccount> {
  const wanted = accountToOpen(input);
  await m.query(
    `INSERT INTO ${s.t.accounts} (id, owner_id, kind, allow_negative, policy, created_at)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6) ON CONFLICT (id) DO NOTHING`,
    [wanted.id, wanted.ownerId, wanted.kind, wanted.allowNegative, JSON.stringify(wanted.policy), s.clock.now()],
  );
  return asOpened(wanted, await findAccount(s, m, input.id));
}

/** What an account to open is, checked and with its defaults: what openAccount and openAccounts insert and compare. */
export interface AccountToOpen {
  id: string;
  ownerId: string;
  kind: string;
  allowNegative: boolean;
  policy: AccountPolicy;
}

export function accountToOpen(input: OpenAccountInput): AccountToOpen {
  checkText('account id', input.id, MAX_ID);
  checkText('owner id', input.ownerId, MAX_ID);
  checkText('account kind', input.kind, MAX_ID);
  const policy = normalisePolicy(input.policy ?? {});
  const allowNegative = input.allowNegative ?? false;
  if (allowNegative && policy.expiryMonths !== undefined) {
    throw badInput('an account with expiring points cannot go negative', { accountId: input.id });
  }
  return { id: input.id, ownerId: input.ownerId, kind: input.kind, allowNegative, policy };
}

/** The account found under the wanted id once the insert ran; one with other attributes is a CONFLICT. */
export function asOpened(wanted: AccountToOpen, account: LedgerAccount | null | undefined): LedgerAccount {
  if (!account) throw new Error(`ledger account ${wanted.id} vanished right after insert`);
  // an id reused for a different account would silently change what the caller's postings mean
  if (
    account.ownerId !== wanted.ownerId ||
    account.kind !== wanted.kind ||
    account.allowNegative !== wanted.allowNegative ||
    canonicalPolicy(account.policy) !== canonicalPolicy(wanted.policy)
  ) {
    throw conflict(`ledger account ${wanted.id} exists with other attributes`, { accountId: wanted.id });
  }
  return account;
}

export async function findAccount(s: LedgerScope, m: EntityManager, id: string): Promise<LedgerAccount | null> {
  const rows: AccountRow[] = await m.query(`SELECT ${ACCOUNT_COLUMNS} FROM ${s.t.accounts} WHERE id = $1`, [id]);
  return rows.length ? toAccount(rows[0]) : null;
}

/** Aligned with `ids` (null where unknown), so it can back a DataLoader. */
export async function findAccounts(s: LedgerScope, m: EntityManager, ids: readonly string[]): Promise<(LedgerAccount | null)[]> {
  if (ids.length === 0) return [];
  const rows: AccountRow[] = await m.query(`SELECT ${ACCOUNT_COLUMNS} FROM ${s.t.accounts} WHERE id = ANY($1::text[])`, [[...new Set(ids)]]);
  const byId = new Map(rows.map((r) => [r.id, toAccount(r)]));
  return ids.map((id) => byId.get(id) ?? null);
}

export async function balanceOf(s: LedgerScope, m: EntityManager, accountId: string): Promise<number> {
  const rows: { balance: string }[] = await m.query(`SELECT balance FROM ${s.t.accounts} WHERE id = $1`, [accountId]);
  if (!rows.length) throw notFound('ledger account', accountId);
  return Number(rows[0].balance);
}

export function normalisePolicy(policy: AccountPolicy): AccountPolicy {
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

export function canonicalPolicy(policy: AccountPolicy): string {
  return JSON.stringify([policy.expiryMonths ?? null, policy.yearlySettlement ?? false]);
}
