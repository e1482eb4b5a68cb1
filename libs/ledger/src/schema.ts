import { assertIdentifier } from '@citypoints/db';

/** Fully qualified, quoted table names of the ledger inside one subgraph's schema. */
export function ledgerTables(schema: string) {
  assertIdentifier(schema);
  const q = (t: string) => `"${schema}"."${t}"`;
  return {
    accounts: q('ledger_accounts'),
    transactions: q('ledger_transactions'),
    postings: q('ledger_postings'),
    lots: q('ledger_lots'),
    statements: q('ledger_annual_statements'),
    appendOnly: q('ledger_append_only'),
  };
}

export type LedgerTables = ReturnType<typeof ledgerTables>;

/**
 * DDL for the ledger inside a subgraph's schema; a subgraph's own TypeORM migration runs `up`
 * (and `down` when reverted), so the ledger tables migrate with the subgraph that owns them.
 */
export function ledgerMigrationSql(schema: string): { up: string[]; down: string[] } {
  const t = ledgerTables(schema);
  const up = [
    `CREATE TABLE ${t.accounts} (
      id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
      owner_id text NOT NULL,
      kind text NOT NULL,
      allow_negative boolean NOT NULL DEFAULT false,
      policy jsonb NOT NULL DEFAULT '{}'::jsonb,
      balance bigint NOT NULL DEFAULT 0,
      lifetime_earned bigint NOT NULL DEFAULT 0 CHECK (lifetime_earned >= 0),
      lifetime_spent bigint NOT NULL DEFAULT 0 CHECK (lifetime_spent >= 0),
      created_at timestamptz NOT NULL,
      CONSTRAINT ledger_accounts_non_negative CHECK (allow_negative OR balance >= 0),
      -- lots cannot represent a negative balance, so an expiring account must stay >= 0
      CONSTRAINT ledger_accounts_expiring_non_negative CHECK (NOT (allow_negative AND policy ? 'expiryMonths'))
    )`,
    `CREATE INDEX ledger_accounts_owner ON ${t.accounts} (owner_id)`,
    `CREATE TABLE ${t.transactions} (
      id uuid PRIMARY KEY,
      idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 300),
      kind text NOT NULL,
      memo text,
      metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
      request_hash text NOT NULL,
      created_at timestamptz NOT NULL,
      CONSTRAINT ledger_transactions_idempotency_key UNIQUE (idempotency_key)
    )`,
    `CREATE TABLE ${t.lots} (
      id bigserial PRIMARY KEY,
      account_id text NOT NULL REFERENCES ${t.accounts} (id),
      original_amount bigint NOT NULL CHECK (original_amount > 0),
      remaining bigint NOT NULL CHECK (remaining >= 0 AND remaining <= original_amount),
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL,
      source_transaction_id uuid NOT NULL REFERENCES ${t.transactions} (id)
    )`,
    `CREATE INDEX ledger_lots_open ON ${t.lots} (account_id, expires_at, id) WHERE remaining > 0`,
    `CREATE INDEX ledger_lots_expiring ON ${t.lots} (expires_at, id) WHERE remaining > 0`,
    `CREATE TABLE ${t.postings} (
      id bigserial PRIMARY KEY,
      transaction_id uuid NOT NULL REFERENCES ${t.transactions} (id),
      account_id text NOT NULL REFERENCES ${t.accounts} (id),
      amount bigint NOT NULL CHECK (amount <> 0),
      balance_after bigint NOT NULL,
      lot_id bigint REFERENCES ${t.lots} (id),
      created_at timestamptz NOT NULL
    )`,
    `CREATE INDEX ledger_postings_account ON ${t.postings} (account_id, id DESC)`,
    `CREATE INDEX ledger_postings_transaction ON ${t.postings} (transaction_id)`,
    `CREATE TABLE ${t.statements} (
      account_id text NOT NULL REFERENCES ${t.accounts} (id),
      year integer NOT NULL CHECK (year BETWEEN 1970 AND 9999),
      closing_balance bigint NOT NULL,
      transaction_id uuid REFERENCES ${t.transactions} (id),
      created_at timestamptz NOT NULL,
      PRIMARY KEY (account_id, year)
    )`,
    // history is evidence: a posting or transaction, once written, is never rewritten or removed
    `CREATE FUNCTION ${t.appendOnly}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
      END
    $$`,
    `CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ${t.postings}
      FOR EACH ROW EXECUTE FUNCTION ${t.appendOnly}()`,
    `CREATE TRIGGER ledger_postings_no_truncate BEFORE TRUNCATE ON ${t.postings}
      FOR EACH STATEMENT EXECUTE FUNCTION ${t.appendOnly}()`,
    `CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ${t.transactions}
      FOR EACH ROW EXECUTE FUNCTION ${t.appendOnly}()`,
    `CREATE TRIGGER ledger_transactions_no_truncate BEFORE TRUNCATE ON ${t.transactions}
      FOR EACH STATEMENT EXECUTE FUNCTION ${t.appendOnly}()`,
  ];
  const down = [
    `DROP TABLE IF EXISTS ${t.statements}`,
    `DROP TABLE IF EXISTS ${t.postings}`,
    `DROP TABLE IF EXISTS ${t.lots}`,
    `DROP TABLE IF EXISTS ${t.transactions}`,
    `DROP TABLE IF EXISTS ${t.accounts}`,
    `DROP FUNCTION IF EXISTS ${t.appendOnly}()`,
  ];
  return { up, down };
}
