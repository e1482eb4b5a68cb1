import type { MigrationInterface, QueryRunner } from 'typeorm';
import { auditMigrationSql } from '@citypoints/auth';
import { eventsMigrationSql } from '@citypoints/events';
import { jobRunMigrationSql } from '@citypoints/jobs';
import { DG_HUKOU, DG_HUKOU_YEAR, DG_SCHOOL, DG_SCHOOL_YEAR, HOLIDAYS, HUKOU_STAGES, TALENT_BENEFITS, TALENT_SHARES } from './default-schemes';

const S = 'settlement';

export class Init1764200000000 implements MigrationInterface {
  name = 'Init1764200000000';

  async up(q: QueryRunner): Promise<void> {
    for (const s of auditMigrationSql(S).up) await q.query(s);
    for (const s of eventsMigrationSql(S).up) await q.query(s);
    for (const s of jobRunMigrationSql(S).up) await q.query(s);

    // what registry tells us about residents, kept current by its events
    await q.query(`CREATE TABLE "${S}".residents (
      id uuid PRIMARY KEY,
      name_masked text NOT NULL,
      birth_date date NOT NULL,
      division_code text NOT NULL,
      household_id text,
      hukou text NOT NULL,
      event_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX residents_household ON "${S}".residents (household_id) WHERE household_id IS NOT NULL`);

    await q.query(`CREATE TABLE "${S}".schemes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      kind text NOT NULL CHECK (kind IN ('SCHOOL_ADMISSION','HOUSEHOLD_REGISTRATION')),
      code text NOT NULL,
      year int NOT NULL CHECK (year BETWEEN 2000 AND 2100),
      version int NOT NULL CHECK (version >= 1),
      threshold numeric,
      definition jsonb NOT NULL,
      published_at timestamptz NOT NULL DEFAULT now(),
      published_by text NOT NULL,
      UNIQUE (kind, code, year, version)
    )`);
    await q.query(`CREATE INDEX schemes_in_force ON "${S}".schemes (kind, year DESC, version DESC)`);

    await q.query(`CREATE TABLE "${S}".schools (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      town_code text NOT NULL CHECK (town_code ~ '^[0-9]{9}$'),
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX schools_town ON "${S}".schools (town_code)`);
    await q.query(`CREATE TABLE "${S}".school_seats (
      school_id uuid NOT NULL REFERENCES "${S}".schools(id),
      year int NOT NULL,
      grade text NOT NULL CHECK (grade IN ('PRIMARY_1','JUNIOR_1')),
      seats int NOT NULL CHECK (seats >= 0),
      PRIMARY KEY (school_id, year, grade)
    )`);

    await q.query(`CREATE SEQUENCE "${S}".application_seq`);
    await q.query(`CREATE TABLE "${S}".school_applications (
      application_no text PRIMARY KEY,
      year int NOT NULL,
      grade text NOT NULL CHECK (grade IN ('PRIMARY_1','JUNIOR_1')),
      town_code text NOT NULL,
      parent_id uuid NOT NULL,
      child_name text NOT NULL,
      child_id_number text NOT NULL,
      scheme_id uuid NOT NULL REFERENCES "${S}".schemes(id),
      status text NOT NULL CHECK (status IN ('SUBMITTED','VERIFIED','WITHDRAWN','DISQUALIFIED')),
      preferences uuid[] NOT NULL CHECK (cardinality(preferences) BETWEEN 1 AND 3),
      indicators jsonb NOT NULL,
      breakdown jsonb NOT NULL,
      total numeric NOT NULL,
      tie1 numeric NOT NULL,
      tie2 numeric NOT NULL,
      priority_claim boolean NOT NULL,
      submitted_at timestamptz NOT NULL,
      idempotency_key text UNIQUE,
      disqualified_reason text
    )`);
    await q.query(`CREATE INDEX school_applications_pool ON "${S}".school_applications (year, town_code, grade)`);
    await q.query(`CREATE INDEX school_applications_parent ON "${S}".school_applications (parent_id)`);
    await q.query(`CREATE UNIQUE INDEX school_applications_one_per_child ON "${S}".school_applications (child_id_number, year) WHERE status NOT IN ('WITHDRAWN','DISQUALIFIED')`);

    // results are keyed by the run's number: a new run's rows, written in application order, land at the index's right edge
    await q.query(`CREATE TABLE "${S}".admission_runs (
      id uuid PRIMARY KEY REFERENCES "${S}".job_runs(id),
      run_no bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
      year int NOT NULL,
      town_code text NOT NULL,
      grade text NOT NULL,
      seed text NOT NULL,
      pool_size int,
      totals_sum numeric,
      seats_total int,
      inputs_digest text,
      cutoffs jsonb,
      completed_at timestamptz
    )`);
    await q.query(`CREATE INDEX admission_runs_pool ON "${S}".admission_runs (year, town_code, grade)`);
    // no foreign key to admission_runs: only a run's own job writes its rows, and a check per row
    // (thousands per pool) would cost the run more than its ranking
    await q.query(`CREATE TABLE "${S}".admission_results (
      run_no bigint NOT NULL,
      application_no text NOT NULL,
      rank int,
      school_id uuid,
      outcome text NOT NULL CHECK (outcome IN ('ADMITTED','WAITLISTED','REJECTED')),
      total numeric NOT NULL,
      priority boolean NOT NULL,
      PRIMARY KEY (run_no, application_no)
    )`);
    await q.query(`CREATE TABLE "${S}".admission_current (
      year int NOT NULL,
      town_code text NOT NULL,
      grade text NOT NULL,
      run_id uuid NOT NULL REFERENCES "${S}".admission_runs(id),
      PRIMARY KEY (year, town_code, grade)
    )`);

    await q.query(`CREATE TABLE "${S}".bars (
      id bigserial PRIMARY KEY,
      resident_id uuid NOT NULL,
      scope text NOT NULL CHECK (scope IN ('SCHOOL','HUKOU')),
      barred_until date NOT NULL,
      application_no text NOT NULL,
      reason text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX bars_resident ON "${S}".bars (resident_id, scope, barred_until)`);

    await q.query(`CREATE TABLE "${S}".holidays (day date PRIMARY KEY, name text NOT NULL)`);
    await q.query(`CREATE TABLE "${S}".hukou_procedure (
      seq int PRIMARY KEY,
      stage text NOT NULL UNIQUE,
      amount int NOT NULL CHECK (amount > 0),
      unit text NOT NULL CHECK (unit IN ('WORKING_DAYS','CALENDAR_DAYS','MONTHS')),
      office text NOT NULL
    )`);
    await q.query(`CREATE TABLE "${S}".household_applications (
      application_no text PRIMARY KEY,
      applicant_id uuid NOT NULL,
      town_code text NOT NULL,
      scheme_id uuid NOT NULL REFERENCES "${S}".schemes(id),
      status text NOT NULL CHECK (status IN ('SUBMITTED','ELIGIBLE','INELIGIBLE','REJECTED','WITHDRAWN')),
      conditions_claimed text[] NOT NULL,
      conditions_verified text[] NOT NULL,
      conditions_reviewed boolean NOT NULL DEFAULT false,
      indicators jsonb NOT NULL,
      breakdown jsonb NOT NULL,
      total numeric NOT NULL,
      eligible boolean NOT NULL,
      submitted_on date NOT NULL,
      submitted_at timestamptz NOT NULL,
      idempotency_key text UNIQUE,
      rejected_reason text
    )`);
    await q.query(`CREATE INDEX household_applications_applicant ON "${S}".household_applications (applicant_id)`);
    await q.query(`CREATE UNIQUE INDEX household_applications_one_open ON "${S}".household_applications (applicant_id) WHERE status = 'SUBMITTED'`);
    await q.query(`CREATE TABLE "${S}".household_stages (
      application_no text NOT NULL REFERENCES "${S}".household_applications(application_no),
      seq int NOT NULL,
      stage text NOT NULL,
      office text NOT NULL,
      due_date date NOT NULL,
      completed_at timestamptz,
      overdue_flagged_on date,
      PRIMARY KEY (application_no, seq)
    )`);
    await q.query(`CREATE INDEX household_stages_open ON "${S}".household_stages (due_date) WHERE completed_at IS NULL AND overdue_flagged_on IS NULL`);

    await q.query(`CREATE TABLE "${S}".talent_shares (category text PRIMARY KEY, share_percent int NOT NULL CHECK (share_percent BETWEEN 0 AND 100))`);
    await q.query(`CREATE TABLE "${S}".talent_benefits (code text PRIMARY KEY, label text NOT NULL)`);
    await q.query(`CREATE TABLE "${S}".talent_quotas (year int PRIMARY KEY, total int NOT NULL CHECK (total >= 0), set_by text NOT NULL, set_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE "${S}".talent_cards (
      card_no text PRIMARY KEY,
      holder_id uuid NOT NULL,
      category text NOT NULL REFERENCES "${S}".talent_shares(category),
      year int NOT NULL REFERENCES "${S}".talent_quotas(year),
      status text NOT NULL CHECK (status IN ('ISSUED','REVOKED')),
      benefits text[] NOT NULL,
      issued_at timestamptz NOT NULL,
      issued_by text NOT NULL,
      UNIQUE (holder_id, year)
    )`);
    await q.query(`CREATE INDEX talent_cards_quota ON "${S}".talent_cards (year, category) WHERE status = 'ISSUED'`);
    await q.query(`CREATE TABLE "${S}".demo_seeds (seed bigint PRIMARY KEY, loaded_at timestamptz NOT NULL DEFAULT now())`);

    const seedScheme = `INSERT INTO "${S}".schemes (kind, code, year, version, threshold, definition, published_by) VALUES ($1, $2, $3, 1, $4, $5::jsonb, 'migration')`;
    await q.query(seedScheme, ['SCHOOL_ADMISSION', 'DG-SCHOOL', DG_SCHOOL_YEAR, null, JSON.stringify(DG_SCHOOL)]);
    await q.query(seedScheme, ['HOUSEHOLD_REGISTRATION', 'DG-HUKOU', DG_HUKOU_YEAR, DG_HUKOU.threshold, JSON.stringify(DG_HUKOU)]);
    for (const s of HUKOU_STAGES) {
      await q.query(`INSERT INTO "${S}".hukou_procedure (seq, stage, amount, unit, office) VALUES ($1,$2,$3,$4,$5)`, [s.seq, s.stage, s.amount, s.unit, s.office]);
    }
    await q.query(`INSERT INTO "${S}".holidays (day, name) SELECT d::date, n FROM unnest($1::text[], $2::text[]) AS h(d, n)`, [HOLIDAYS.map((h) => h[0]), HOLIDAYS.map((h) => h[1])]);
    for (const [category, pct] of TALENT_SHARES) await q.query(`INSERT INTO "${S}".talent_shares (category, share_percent) VALUES ($1, $2)`, [category, pct]);
    for (const [code, label] of TALENT_BENEFITS) await q.query(`INSERT INTO "${S}".talent_benefits (code, label) VALUES ($1, $2)`, [code, label]);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'demo_seeds', 'talent_cards', 'talent_quotas', 'talent_benefits', 'talent_shares', 'household_stages', 'household_applications', 'hukou_procedure',
      'holidays', 'bars', 'admission_current', 'admission_results', 'admission_runs', 'school_applications', 'school_seats', 'schools', 'schemes', 'residents',
    ]) {
      await q.query(`DROP TABLE "${S}".${t}`);
    }
    await q.query(`DROP SEQUENCE "${S}".application_seq`);
    for (const s of jobRunMigrationSql(S).down) await q.query(s);
    for (const s of eventsMigrationSql(S).down) await q.query(s);
    for (const s of auditMigrationSql(S).down) await q.query(s);
  }
}
