import type { Clock } from '@citypoints/kit';

/** The code of a post refused for lack of points (a code of the public contract). */
export const INSUFFICIENT_POINTS = 'INSUFFICIENT_POINTS';

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
  /**
   * The transaction moves points that already exist (a gift, a donation, an escrow refund) instead
   * of issuing them: credits to expiring accounts keep the expiry the points had, never a fresh
   * one. `true`: the expiries of the lots this transaction debits. `{ from }`: the points were
   * parked in an account without lots (an escrow) by the transaction with idempotency key `from`;
   * the expiries of the lots that one debited. Without it, a credit opens a fresh lot.
   */
  keepExpiry?: true | { from: string };
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
