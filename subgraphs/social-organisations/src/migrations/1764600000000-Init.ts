import type { MigrationInterface, QueryRunner } from 'typeorm';
import { eventsMigrationSql } from '@citypoints/events';
import { jobRunMigrationSql } from '@citypoints/jobs';
import { ledgerMigrationSql } from '@citypoints/ledger';
import { DEFAULT_SCHEME } from '../scheme/scheme.data';

const S = 'social_organisations';

export class Init1764600000000 implements MigrationInterface {
  name = 'Init1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "${S}".grading_schemes (
      id serial PRIMARY KEY,
      code text NOT NULL,
      version int NOT NULL CHECK (version > 0),
      effective_from_year int NOT NULL CHECK (effective_from_year BETWEEN 1900 AND 9999),
      definition jsonb NOT NULL,
      published_by text NOT NULL,
      published_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (code, version)
    )`);
    // a projection of registry's organisations; a membership event may arrive first and only knows the kind
    await q.query(`CREATE TABLE "${S}".organisations (
      uscc text PRIMARY KEY,
      name text,
      kind text NOT NULL CHECK (kind IN ('CHAMBER_OF_COMMERCE','INDUSTRY_ASSOCIATION','PRIVATE_NON_ENTERPRISE','FOUNDATION')),
      division_code text,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE "${S}".memberships (
      organisation_uscc text NOT NULL,
      enterprise_uscc text NOT NULL,
      joined_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (organisation_uscc, enterprise_uscc)
    )`);
    await q.query(`CREATE INDEX memberships_enterprise ON "${S}".memberships (enterprise_uscc)`);
    await q.query(`CREATE TABLE "${S}".indicator_records (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      uscc text NOT NULL REFERENCES "${S}".organisations(uscc),
      year int NOT NULL,
      category text NOT NULL,
      points numeric(8,2) NOT NULL CHECK (points > 0),
      evidence text,
      idempotency_key text NOT NULL UNIQUE,
      entered_by text NOT NULL,
      result jsonb,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX indicator_records_org_year ON "${S}".indicator_records (uscc, year)`);
    await q.query(`CREATE TABLE "${S}".violations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      uscc text NOT NULL REFERENCES "${S}".organisations(uscc),
      year int NOT NULL,
      severity int NOT NULL CHECK (severity > 0),
      note text,
      idempotency_key text NOT NULL UNIQUE,
      entered_by text NOT NULL,
      result jsonb,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX violations_org_year ON "${S}".violations (uscc, year)`);
    // one row per (organisation, source): the record id or the enterprise's turn to BLACK
    await q.query(`CREATE TABLE "${S}".member_effects (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      organisation_uscc text NOT NULL,
      enterprise_uscc text NOT NULL,
      year int NOT NULL,
      effect text NOT NULL CHECK (effect IN ('MEMBER_PENALTY','MEMBER_BLACKLISTED')),
      record_kind text,
      reference text NOT NULL,
      source_key text NOT NULL,
      occurred_at timestamptz NOT NULL,
      event_id uuid NOT NULL,
      removed_at timestamptz,
      repaired_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (organisation_uscc, source_key)
    )`);
    await q.query(`CREATE INDEX member_effects_org_year ON "${S}".member_effects (organisation_uscc, year)`);
    await q.query(`CREATE INDEX member_effects_enterprise ON "${S}".member_effects (enterprise_uscc, effect)`);
    // enterprise-credit status turns as they arrived, so a lift that overtakes its blacklisting still applies
    await q.query(`CREATE TABLE "${S}".credit_status_turns (
      event_id uuid PRIMARY KEY,
      uscc text NOT NULL,
      previous text,
      status text NOT NULL,
      changed_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX credit_status_turns_uscc ON "${S}".credit_status_turns (uscc, changed_at)`);
    await q.query(`CREATE TABLE "${S}".gradings (
      uscc text NOT NULL,
      year int NOT NULL,
      scheme_id int NOT NULL REFERENCES "${S}".grading_schemes(id),
      scheme_code text NOT NULL,
      scheme_version int NOT NULL,
      points numeric(10,2) NOT NULL,
      grade text NOT NULL CHECK (grade IN ('GREEN','YELLOW','RED')),
      supervision text NOT NULL,
      exit_flagged boolean NOT NULL,
      lines jsonb NOT NULL,
      removed_lines jsonb NOT NULL,
      rewarded boolean NOT NULL DEFAULT false,
      reward_rank int,
      reward_amount numeric(14,2),
      rewards_decided_at timestamptz,
      graded_at timestamptz NOT NULL,
      PRIMARY KEY (uscc, year)
    )`);
    await q.query(`CREATE INDEX gradings_year_points ON "${S}".gradings (year, points DESC, uscc)`);
    await q.query(`CREATE TABLE "${S}".demo_seeds (seed bigint PRIMARY KEY, loaded_at timestamptz NOT NULL DEFAULT now())`);
    for (const s of eventsMigrationSql(S).up) await q.query(s);
    for (const s of jobRunMigrationSql(S).up) await q.query(s);
    for (const s of ledgerMigrationSql(S).up) await q.query(s);

    await q.query(
      `INSERT INTO "${S}".grading_schemes (code, version, effective_from_year, definition, published_by) VALUES ($1, $2, $3, $4::jsonb, 'migration')`,
      [DEFAULT_SCHEME.code, DEFAULT_SCHEME.version, DEFAULT_SCHEME.effectiveFromYear, JSON.stringify(DEFAULT_SCHEME.definition)],
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const s of ledgerMigrationSql(S).down) await q.query(s);
    for (const s of jobRunMigrationSql(S).down) await q.query(s);
    for (const s of eventsMigrationSql(S).down) await q.query(s);
    for (const t of ['demo_seeds', 'gradings', 'credit_status_turns', 'member_effects', 'violations', 'indicator_records', 'memberships', 'organisations', 'grading_schemes']) {
      await q.query(`DROP TABLE "${S}".${t}`);
    }
  }
}
