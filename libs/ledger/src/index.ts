export { ledgerMigrationSql, ledgerTables } from './schema';
export { INSUFFICIENT_POINTS } from './types';
export {
  Ledger,
  type AccountPolicy,
  type AnnualStatement,
  type BatchOutcome,
  type GroupCommit,
  type GroupCommitOptions,
  type SynchronousCommit,
  type TransactionSource,
  type HistoryEntry,
  type InvariantViolation,
  type LedgerAccount,
  type LedgerOptions,
  type OpenAccountInput,
  type PostInput,
  type PostingEntry,
  type PostResult,
} from './ledger';
export { runSetPosting, setPostingOutcome, type SetPostingOutcome } from './bulk';
export { OTHER_PARTY, type LedgerHoldings } from './holdings';
