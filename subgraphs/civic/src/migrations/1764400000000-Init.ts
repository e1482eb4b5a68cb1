import type { MigrationInterface, QueryRunner } from 'typeorm';
import { auditMigrationSql } from '@citypoints/auth';
import { eventsMigrationSql } from '@citypoints/events';
import { jobRunMigrationSql } from '@citypoints/jobs';
import { ledgerMigrationSql } from '@citypoints/ledger';
import { DEFAULT_CIVIC_RULES, DEFAULT_ITEMS, TOWN_CODES } from '../rules/defaults';

const S = 'civic';

export class Init1764400000000 implements MigrationInterface {
  name = 'Init1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "${S}".rule_sets (
      version int PRIMARY KEY CHECK (version > 0),
      effective_from date NOT NULL,
      definition jsonb NOT NULL,
      published_by text NOT NULL,
      published_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE "${S}".residents (
      id uuid PRIMARY KEY,
      division_code text NOT NULL CHECK (division_code ~ '^[0-9]{12}$'),
      household_id text,
      name_masked text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX residents_division ON "${S}".residents (division_code)`);
    await q.query(`CREATE TABLE "${S}".party_members (
      resident_id uuid PRIMARY KEY REFERENCES "${S}".residents(id),
      recorded_by text NOT NULL,
      recorded_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE SEQUENCE "${S}".card_numbers`);
    await q.query(`CREATE TABLE "${S}".cards (
      card_no text PRIMARY KEY,
      resident_id uuid NOT NULL UNIQUE REFERENCES "${S}".residents(id),
      issued_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE TABLE "${S}".behaviour_items (
      scope text NOT NULL CHECK (scope ~ '^[0-9]{6}([0-9]{3})?$'),
      code text NOT NULL CHECK (code ~ '^[A-Z0-9_]{2,64}$'),
      label text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
      category text NOT NULL,
      passbook text NOT NULL CHECK (passbook IN ('CIVIC','RED','GREEN')),
      points int NOT NULL CHECK (points <> 0),
      monthly_cap int CHECK (monthly_cap IS NULL OR monthly_cap > 0),
      version int NOT NULL DEFAULT 1,
      defined_by text NOT NULL,
      defined_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (scope, code)
    )`);
    await q.query(`CREATE TABLE "${S}".publicity_windows (
      id bigserial PRIMARY KEY,
      town_code text NOT NULL CHECK (town_code ~ '^[0-9]{9}$'),
      days int NOT NULL CHECK (days BETWEEN 0 AND 60),
      set_by text NOT NULL,
      set_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX publicity_windows_town ON "${S}".publicity_windows (town_code, id DESC)`);
    await q.query(`CREATE TABLE "${S}".records (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      idempotency_key text NOT NULL UNIQUE,
      resident_id uuid NOT NULL REFERENCES "${S}".residents(id),
      card_no text NOT NULL REFERENCES "${S}".cards(card_no),
      division_code text NOT NULL,
      town_code text NOT NULL,
      item_scope text NOT NULL,
      item_code text NOT NULL,
      item_version int NOT NULL,
      passbook text NOT NULL,
      points_requested int NOT NULL,
      points_credited int,
      breakdown jsonb,
      rules_version int,
      status text NOT NULL CHECK (status IN ('REGISTERED','VILLAGE_REVIEWED','PUBLICISED','OBJECTED','APPROVED','REJECTED')),
      occurred_on date NOT NULL,
      evidence text,
      registered_by text NOT NULL,
      reviewed_by text,
      publicised_by text,
      approved_by text,
      publicised_until timestamptz,
      approved_at timestamptz,
      approved_month text,
      ledger_transaction_id uuid,
      created_at timestamptz NOT NULL,
      FOREIGN KEY (item_scope, item_code) REFERENCES "${S}".behaviour_items(scope, code)
    )`);
    await q.query(`CREATE INDEX records_resident ON "${S}".records (resident_id, created_at DESC, id)`);
    await q.query(`CREATE INDEX records_cap ON "${S}".records (resident_id, item_scope, item_code, occurred_on) WHERE status = 'APPROVED'`);
    await q.query(`CREATE INDEX records_approved_month ON "${S}".records (approved_month, town_code) WHERE status = 'APPROVED'`);
    await q.query(`CREATE TABLE "${S}".record_steps (
      id bigserial PRIMARY KEY,
      record_id uuid NOT NULL REFERENCES "${S}".records(id),
      step text NOT NULL CHECK (step IN ('REGISTER','REVIEW','PUBLICISE','APPROVE')),
      actor text NOT NULL,
      decision text NOT NULL,
      note text,
      at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX record_steps_record ON "${S}".record_steps (record_id, id)`);
    await q.query(`CREATE TABLE "${S}".objections (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      record_id uuid NOT NULL REFERENCES "${S}".records(id),
      resident_id uuid NOT NULL,
      reason text NOT NULL,
      raised_at timestamptz NOT NULL,
      ruled_by text,
      upheld boolean,
      ruled_at timestamptz
    )`);
    await q.query(`CREATE INDEX objections_record ON "${S}".objections (record_id)`);
    await q.query(`CREATE TABLE "${S}".reward_items (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      merchant_id text NOT NULL,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      points_cost int NOT NULL CHECK (points_cost > 0),
      stock int NOT NULL CHECK (stock >= 0),
      created_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX reward_items_merchant ON "${S}".reward_items (merchant_id)`);
    await q.query(`CREATE TABLE "${S}".redemptions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      card_no text NOT NULL REFERENCES "${S}".cards(card_no),
      idempotency_key text NOT NULL,
      request_hash text NOT NULL,
      total_points int NOT NULL CHECK (total_points > 0),
      balance_after int NOT NULL CHECK (balance_after >= 0),
      ledger_transaction_id uuid NOT NULL,
      redeemed_by text NOT NULL,
      created_at timestamptz NOT NULL,
      UNIQUE (card_no, idempotency_key)
    )`);
    await q.query(`CREATE TABLE "${S}".redemption_lines (
      redemption_id uuid NOT NULL REFERENCES "${S}".redemptions(id),
      reward_id uuid NOT NULL REFERENCES "${S}".reward_items(id),
      quantity int NOT NULL CHECK (quantity > 0),
      points_each int NOT NULL,
      PRIMARY KEY (redemption_id, reward_id)
    )`);
    await q.query(`CREATE TABLE "${S}".civility_stars (
      month text NOT NULL,
      town_code text NOT NULL,
      rank int NOT NULL CHECK (rank > 0),
      resident_id uuid NOT NULL,
      points int NOT NULL,
      last_approved_at timestamptz NOT NULL,
      rules_version int NOT NULL,
      PRIMARY KEY (month, town_code, rank),
      UNIQUE (month, resident_id)
    )`);
    await q.query(`CREATE TABLE "${S}".bulletins (
      quarter text NOT NULL,
      division_code text NOT NULL,
      records int NOT NULL,
      points int NOT NULL,
      top_residents jsonb NOT NULL,
      rules_version int NOT NULL,
      built_at timestamptz NOT NULL,
      PRIMARY KEY (quarter, division_code)
    )`);
    await q.query(`CREATE TABLE "${S}".evaluations (
      year int NOT NULL,
      resident_id uuid NOT NULL,
      points_approved int NOT NULL,
      civic_balance int NOT NULL,
      privileges text[] NOT NULL,
      lines jsonb NOT NULL,
      rules_version int NOT NULL,
      evaluated_at timestamptz NOT NULL,
      PRIMARY KEY (year, resident_id)
    )`);
    await q.query(`CREATE TABLE "${S}".green_collections (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      idempotency_key text NOT NULL UNIQUE,
      resident_id uuid NOT NULL REFERENCES "${S}".residents(id),
      material text NOT NULL,
      grams int NOT NULL CHECK (grams > 0),
      price_per_kg numeric NOT NULL,
      points int NOT NULL,
      rules_version int NOT NULL,
      recorded_by text NOT NULL,
      recorded_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE TABLE "${S}".green_inspections (
      resident_id uuid NOT NULL REFERENCES "${S}".residents(id),
      month text NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
      score int NOT NULL CHECK (score >= 0),
      recorded_by text NOT NULL,
      recorded_at timestamptz NOT NULL,
      PRIMARY KEY (resident_id, month)
    )`);
    await q.query(`CREATE TABLE "${S}".demo_seeds (seed bigint PRIMARY KEY, loaded_at timestamptz NOT NULL DEFAULT now())`);
    for (const s of auditMigrationSql(S).up) await q.query(s);
    for (const s of eventsMigrationSql(S).up) await q.query(s);
    for (const s of ledgerMigrationSql(S).up) await q.query(s);
    for (const s of jobRunMigrationSql(S).up) await q.query(s);

    await q.query(`INSERT INTO "${S}".rule_sets (version, effective_from, definition, published_by) VALUES (1, '2000-01-01', $1::jsonb, 'migration')`, [
      JSON.stringify(DEFAULT_CIVIC_RULES),
    ]);
    const cats = DEFAULT_CIVIC_RULES.categories as Record<string, { passbook: string }>;
    for (const town of TOWN_CODES) {
      await q.query(
        `INSERT INTO "${S}".behaviour_items (scope, code, label, category, passbook, points, monthly_cap, defined_by)
         SELECT $1, x.code, x.label, x.category, x.passbook, x.points, x.cap, 'migration'
           FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[]) AS x(code, label, category, passbook, points, cap)`,
        [
          town,
          DEFAULT_ITEMS.map((i) => i.code),
          DEFAULT_ITEMS.map((i) => i.label),
          DEFAULT_ITEMS.map((i) => i.category),
          DEFAULT_ITEMS.map((i) => cats[i.category].passbook),
          DEFAULT_ITEMS.map((i) => i.points),
          DEFAULT_ITEMS.map((i) => i.monthlyCap),
        ],
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const s of jobRunMigrationSql(S).down) await q.query(s);
    for (const s of ledgerMigrationSql(S).down) await q.query(s);
    for (const s of eventsMigrationSql(S).down) await q.query(s);
    for (const s of auditMigrationSql(S).down) await q.query(s);
    for (const t of [
      'demo_seeds', 'green_inspections', 'green_collections', 'evaluations', 'bulletins', 'civility_stars', 'redemption_lines', 'redemptions',
      'reward_items', 'objections', 'record_steps', 'records', 'publicity_windows', 'behaviour_items', 'cards', 'party_members', 'residents', 'rule_sets',
    ]) {
      await q.query(`DROP TABLE "${S}".${t}`);
    }
    await q.query(`DROP SEQUENCE "${S}".card_numbers`);
  }
}
