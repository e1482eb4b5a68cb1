import type { EntityManager } from 'typeorm';
import { systemClock } from '@citypoints/kit';
import { ledgerTables } from './schema';
import type { LedgerScope } from './internal';
import { balanceOf, findAccount, findAccounts, openAccount } from './accounts';
import { post } from './posting';
import { postMany, type BatchOutcome } from './batch';
import { openAccounts, postAll, setPostingSql } from './bulk';
import { GroupCommit, type GroupCommitOptions, type TransactionSource } from './group-commit';
import { expireLots } from './expiry';
import { settleYear } from './settlement';
import { accountHistory, annualStatement } from './statements';
import { checkInvariants } from './invariants';
import { holdingsOf, type LedgerHoldings } from './holdings';
import type { AnnualStatement, HistoryEntry, InvariantViolation, LedgerAccount, LedgerOptions, OpenAccountInput, PostInput, PostResult } from './types';

export type { BatchOutcome } from './batch';
export type { GroupCommit, GroupCommitOptions, SynchronousCommit, TransactionSource } from './group-commit';
export type {
  AccountPolicy,
  AnnualStatement,
  HistoryEntry,
  InvariantViolation,
  LedgerAccount,
  LedgerOptions,
  OpenAccountInput,
  PostInput,
  PostingEntry,
  PostResult,
} from './types';

/**
 * A double-entry points ledger living in the calling subgraph's schema. Every method takes the
 * caller's EntityManager so ledger rows commit or roll back together with the caller's own rows;
 * it assumes READ COMMITTED (PostgreSQL's default), where each statement sees rows committed by
 * the transaction that held a lock before us.
 *
 * The work lives in rooms: accounts.ts (opening and reading accounts), posting.ts (double-entry
 * posts, idempotency, locks), lots.ts and expiry.ts (expiring points), settlement.ts (closing a
 * year), statements.ts (history and annual statements) and invariants.ts (consistency checks).
 */
export class Ledger {
  private readonly scope: LedgerScope;

  constructor(opts: LedgerOptions) {
    this.scope = Object.freeze({ t: ledgerTables(opts.schema), schema: opts.schema, clock: opts.clock ?? systemClock });
  }

  openAccount(m: EntityManager, input: OpenAccountInput): Promise<LedgerAccount> {
    return openAccount(this.scope, m, input);
  }

  /** Many accounts in one statement, each as openAccount would open it; aligned with `inputs`. */
  openAccounts(m: EntityManager, inputs: readonly OpenAccountInput[]): Promise<LedgerAccount[]> {
    return openAccounts(this.scope, m, inputs);
  }

  account(m: EntityManager, id: string): Promise<LedgerAccount | null> {
    return findAccount(this.scope, m, id);
  }

  /** Aligned with `ids` (null where unknown), so it can back a DataLoader. */
  accounts(m: EntityManager, ids: readonly string[]): Promise<(LedgerAccount | null)[]> {
    return findAccounts(this.scope, m, ids);
  }

  balance(m: EntityManager, accountId: string): Promise<number> {
    return balanceOf(this.scope, m, accountId);
  }

  /** Newest first; `before` is the postingId of the last entry of the previous page. */
  history(m: EntityManager, accountId: string, opts: { limit?: number; before?: number } = {}): Promise<HistoryEntry[]> {
    return accountHistory(this.scope, m, accountId, opts);
  }

  post(m: EntityManager, input: PostInput): Promise<PostResult> {
    return post(this.scope, m, input);
  }

  /**
   * Many posts in the caller's transaction, as if posted one after the other in this order, in
   * two statements for the common case; each outcome is its post's result or the error it alone
   * was refused with. If it throws, roll the transaction back.
   */
  postMany(m: EntityManager, inputs: readonly PostInput[]): Promise<BatchOutcome[]> {
    return postMany(this.scope, m, inputs);
  }

  /**
   * All of many transactions or none (batch work: a grading chunk, a batch of events): between accounts without expiring points in a fixed number of round trips
   * (one lock-and-look-up, one write), each with the guarantees of `post`; a refusal writes
   * nothing of the batch. Aligned with `inputs`.
   */
  postAll(m: EntityManager, inputs: readonly PostInput[]): Promise<PostResult[]> {
    return postAll(this.scope, m, inputs);
  }

  /**
   * The CTEs that post, inside one statement, the transactions a CTE of the caller computes
   * (`moves`: one row per entry), opening missing accounts; run the statement with
   * `runSetPosting`. The guarantees of `postAll`, the work of one statement: see bulk.ts.
   */
  setPostingSql(o: { moves: string; now: string }): { ctes: string; outcome: string } {
    return setPostingSql(this.scope, o);
  }

  /**
   * A group committer for posts that are transactions of their own: concurrent posts share one
   * transaction and one disk flush. Keep one per runtime (it holds the queue).
   */
  groupCommit(source: TransactionSource, opts?: GroupCommitOptions): GroupCommit {
    return new GroupCommit(this.scope, source, opts);
  }

  /**
   * Moves each expired lot's remainder to `expiryAccountId`, one transaction per lot keyed by the
   * lot id, so a job that runs twice or concurrently expires each lot once.
   */
  expireLots(m: EntityManager, opts: { now?: Date; expiryAccountId: string; batchSize?: number }): Promise<number> {
    return expireLots(this.scope, m, opts);
  }

  /**
   * Closes a year: the balance at the time of the call goes into the annual statement and moves
   * to `settlementAccountId`, so the spendable balance restarts at 0. Once per (account, year).
   */
  settleYear(m: EntityManager, opts: { accountId: string; year: number; settlementAccountId: string }): Promise<AnnualStatement> {
    return settleYear(this.scope, m, opts);
  }

  statement(m: EntityManager, accountId: string, year: number): Promise<Omit<AnnualStatement, 'replayed'> | null> {
    return annualStatement(this.scope, m, accountId, year);
  }

  /** Everything held for one owner (a resident's own data): accounts, postings, lots, statements; other persons masked. */
  holdings(m: EntityManager, ownerId: string, personKinds: readonly string[]): Promise<LedgerHoldings> {
    return holdingsOf(this.scope, m, ownerId, personKinds);
  }

  /** Every way the stored state can disagree with the postings; empty when the ledger is sound. */
  checkInvariants(m: EntityManager): Promise<InvariantViolation[]> {
    return checkInvariants(this.scope, m);
  }
}
