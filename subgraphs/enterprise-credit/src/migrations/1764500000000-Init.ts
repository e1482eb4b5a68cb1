import type { MigrationInterface, QueryRunner } from 'typeorm';
import { auditMigrationSql } from '@citypoints/auth';
import { eventsMigrationSql } from '@citypoints/events';
import { jobRunMigrationSql } from '@citypoints/jobs';

const S = 'enterprise_credit';
const LEVELS = `('NORMAL','PROBLEM','RISK','DANGER','CRITICAL')`;
const KINDS = `('PENALTY','SEVERE_PENALTY','DISHONEST_DEBTOR','WAGE_ARREARS_BLACKLIST','A_TAXPAYER','HONOUR')`;
const INDICATORS = `('wage_arrears_days','workers_owed','pay_cycle_days','rent_arrears_months','electricity_ratio','social_insurance_arrears_months','tax_arrears_months','petitions','group_incident')`;

export class Init1764500000000 implements MigrationInterface {
  name = 'Init1764500000000';

  async up(q: QueryRunner): Promise<void> {
    // what registry tells us about enterprises: enough to scope regulators and route alerts
    await q.query(`CREATE TABLE "${S}".enterprises (
      uscc text PRIMARY KEY,
      name text NOT NULL,
      division_code text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX enterprises_division ON "${S}".enterprises (division_code text_pattern_ops)`);

    await q.query(`CREATE TABLE "${S}".credit_schemes (
      version int PRIMARY KEY,
      code text NOT NULL,
      effective_from date NOT NULL,
      definition jsonb NOT NULL,
      published_at timestamptz NOT NULL DEFAULT now(),
      published_by text NOT NULL
    )`);
    await q.query(`CREATE TABLE "${S}".credit_records (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      uscc text NOT NULL,
      kind text NOT NULL CHECK (kind IN ${KINDS}),
      category text,
      department text NOT NULL,
      occurred_on date NOT NULL,
      public_until date,
      note text,
      scheme_version int NOT NULL REFERENCES "${S}".credit_schemes(version),
      idempotency_key text NOT NULL UNIQUE,
      recorded_by text NOT NULL,
      repaired boolean NOT NULL DEFAULT false,
      repaired_at timestamptz,
      repair_decision text CHECK (repair_decision IN ('APPROVED','REJECTED')),
      repair_note text,
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK (public_until IS NULL OR public_until > occurred_on)
    )`);
    await q.query(`CREATE INDEX credit_records_uscc ON "${S}".credit_records (uscc, occurred_on)`);
    await q.query(`CREATE TABLE "${S}".credit_status (
      uscc text PRIMARY KEY,
      status text NOT NULL CHECK (status IN ('RED','NORMAL','WATCH','BLACK')),
      since timestamptz NOT NULL,
      computed_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX credit_status_status ON "${S}".credit_status (status)`);
    await q.query(`CREATE TABLE "${S}".credit_list_publications (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      period text NOT NULL UNIQUE,
      published_at timestamptz NOT NULL,
      published_by text NOT NULL
    )`);
    await q.query(`CREATE TABLE "${S}".credit_list_entries (
      publication_id uuid NOT NULL REFERENCES "${S}".credit_list_publications(id),
      list text NOT NULL CHECK (list IN ('RED','BLACK')),
      uscc text NOT NULL,
      PRIMARY KEY (publication_id, list, uscc)
    )`);
    // a publication is a snapshot: its rows never change once written
    await q.query(`CREATE FUNCTION "${S}".refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'published credit lists are immutable'; END $$`);
    for (const t of ['credit_list_publications', 'credit_list_entries']) {
      await q.query(`CREATE TRIGGER ${t}_immutable BEFORE UPDATE OR DELETE ON "${S}".${t} FOR EACH ROW EXECUTE FUNCTION "${S}".refuse_change()`);
    }

    await q.query(`CREATE TABLE "${S}".labour_risk_schemes (
      version int PRIMARY KEY,
      code text NOT NULL,
      effective_from date NOT NULL,
      published_at timestamptz NOT NULL DEFAULT now(),
      published_by text NOT NULL
    )`);
    await q.query(`CREATE TABLE "${S}".labour_risk_bands (
      id serial PRIMARY KEY,
      scheme_version int NOT NULL REFERENCES "${S}".labour_risk_schemes(version),
      indicator text NOT NULL CHECK (indicator IN ${INDICATORS}),
      lo numeric,
      hi numeric,
      points int NOT NULL CHECK (points >= 0),
      label text NOT NULL,
      CHECK (lo IS NULL OR hi IS NULL OR lo < hi),
      UNIQUE (scheme_version, indicator, lo)
    )`);
    await q.query(`CREATE TABLE "${S}".labour_risk_levels (
      scheme_version int NOT NULL REFERENCES "${S}".labour_risk_schemes(version),
      level text NOT NULL CHECK (level IN ${LEVELS}),
      rank int NOT NULL CHECK (rank BETWEEN 1 AND 5),
      min_score int NOT NULL,
      raises_alert boolean NOT NULL,
      escalate_after_hours int,
      escalate_after_working_days int,
      guidance text NOT NULL,
      PRIMARY KEY (scheme_version, level),
      UNIQUE (scheme_version, rank)
    )`);
    await q.query(`CREATE TABLE "${S}".labour_risk_overrides (
      id serial PRIMARY KEY,
      scheme_version int NOT NULL REFERENCES "${S}".labour_risk_schemes(version),
      min_level text NOT NULL CHECK (min_level IN ${LEVELS}),
      conditions jsonb NOT NULL,
      label text NOT NULL
    )`);

    await q.query(`CREATE TABLE "${S}".labour_reports (
      uscc text NOT NULL,
      period text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
      source text NOT NULL,
      department text NOT NULL,
      wage_arrears_days int NOT NULL,
      workers_owed int NOT NULL,
      arrears_amount numeric(14,2) NOT NULL,
      pay_cycle_days int NOT NULL,
      rent_arrears_months int NOT NULL,
      electricity_ratio numeric(8,4) NOT NULL,
      social_insurance_arrears_months int NOT NULL,
      tax_arrears_months int NOT NULL,
      petitions int NOT NULL,
      group_incident boolean NOT NULL,
      reported_at timestamptz NOT NULL,
      PRIMARY KEY (uscc, period, source)
    )`);
    // one row per enterprise and month, the sources merged (worst value of each indicator)
    await q.query(`CREATE TABLE "${S}".labour_indicators (
      period text NOT NULL,
      uscc text NOT NULL,
      wage_arrears_days int NOT NULL,
      workers_owed int NOT NULL,
      arrears_amount numeric(14,2) NOT NULL,
      pay_cycle_days int NOT NULL,
      rent_arrears_months int NOT NULL,
      electricity_ratio numeric(8,4) NOT NULL,
      social_insurance_arrears_months int NOT NULL,
      tax_arrears_months int NOT NULL,
      petitions int NOT NULL,
      group_incident boolean NOT NULL,
      PRIMARY KEY (period, uscc)
    )`);
    await q.query(`CREATE TABLE "${S}".labour_risk_scores (
      uscc text NOT NULL,
      period text NOT NULL,
      scheme_version int NOT NULL,
      score int NOT NULL,
      level text NOT NULL CHECK (level IN ${LEVELS}),
      level_rank int NOT NULL,
      -- the breakdown; NULL when empty, as it is for most enterprises (a million empty arrays are not free)
      band_ids int[],
      override_ids int[],
      since timestamptz NOT NULL,
      scored_at timestamptz NOT NULL,
      run_id uuid,
      PRIMARY KEY (uscc, period)
    )`);

    await q.query(`CREATE TABLE "${S}".risk_alerts (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      uscc text NOT NULL,
      division_code text NOT NULL,
      level text NOT NULL CHECK (level IN ${LEVELS}),
      previous_level text NOT NULL CHECK (previous_level IN ${LEVELS}),
      period text NOT NULL,
      score int NOT NULL,
      scheme_version int NOT NULL,
      band_ids int[] NOT NULL,
      override_ids int[] NOT NULL,
      status text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN','ACKNOWLEDGED','RESOLVED','ESCALATED')),
      raised_at timestamptz NOT NULL,
      run_id uuid,
      acknowledged_at timestamptz,
      acknowledged_by text,
      acknowledge_note text,
      resolved_at timestamptz,
      resolved_by text,
      outcome text,
      escalated_at timestamptz,
      escalated_to text,
      CONSTRAINT risk_alerts_once UNIQUE (uscc, level, period)
    )`);
    await q.query(`CREATE INDEX risk_alerts_inbox ON "${S}".risk_alerts (division_code text_pattern_ops, raised_at DESC)`);
    await q.query(`CREATE INDEX risk_alerts_open ON "${S}".risk_alerts (raised_at) WHERE status = 'OPEN'`);
    await q.query(`CREATE TABLE "${S}".alert_webhooks (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      url text NOT NULL,
      secret text NOT NULL,
      division_code text NOT NULL,
      registered_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (division_code, url)
    )`);
    await q.query(`CREATE TABLE "${S}".webhook_deliveries (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      alert_id uuid NOT NULL REFERENCES "${S}".risk_alerts(id),
      webhook_id uuid NOT NULL REFERENCES "${S}".alert_webhooks(id),
      status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING','DELIVERED','DEAD')),
      attempts int NOT NULL DEFAULT 0,
      last_error text,
      enqueued_at timestamptz,
      delivered_at timestamptz,
      dead_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (alert_id, webhook_id)
    )`);
    await q.query(`CREATE INDEX webhook_deliveries_pending ON "${S}".webhook_deliveries (created_at) WHERE status = 'PENDING'`);
    await q.query(`CREATE INDEX webhook_deliveries_dead ON "${S}".webhook_deliveries (dead_at DESC) WHERE status = 'DEAD'`);

    // chunks of a scoring run, fixed on its first attempt; each is marked done in the transaction
    // that scores it, so a retry does exactly the chunks not yet committed
    await q.query(`CREATE TABLE "${S}".scoring_run_chunks (
      run_id uuid NOT NULL,
      chunk_no int NOT NULL,
      lo_uscc text NOT NULL,
      hi_uscc text,
      done_at timestamptz,
      scored int,
      alerts int,
      PRIMARY KEY (run_id, chunk_no)
    )`);
    await q.query(`CREATE TABLE "${S}".demo_seeds (seed bigint PRIMARY KEY, loaded_at timestamptz NOT NULL DEFAULT now())`);

    for (const s of auditMigrationSql(S).up) await q.query(s);
    for (const s of eventsMigrationSql(S).up) await q.query(s);
    for (const s of jobRunMigrationSql(S).up) await q.query(s);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const s of jobRunMigrationSql(S).down) await q.query(s);
    for (const s of eventsMigrationSql(S).down) await q.query(s);
    for (const s of auditMigrationSql(S).down) await q.query(s);
    for (const t of [
      'demo_seeds', 'scoring_run_chunks', 'webhook_deliveries', 'alert_webhooks', 'risk_alerts', 'labour_risk_scores', 'labour_indicators', 'labour_reports',
      'labour_risk_overrides', 'labour_risk_levels', 'labour_risk_bands', 'labour_risk_schemes', 'credit_list_entries', 'credit_list_publications',
      'credit_status', 'credit_records', 'credit_schemes', 'enterprises',
    ]) {
      await q.query(`DROP TABLE "${S}".${t}`);
    }
    await q.query(`DROP FUNCTION "${S}".refuse_change()`);
  }
}
