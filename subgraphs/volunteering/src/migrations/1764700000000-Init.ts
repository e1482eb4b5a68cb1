import type { MigrationInterface, QueryRunner } from 'typeorm';
import { auditMigrationSql } from '@citypoints/auth';
import { eventsMigrationSql } from '@citypoints/events';
import { ledgerMigrationSql } from '@citypoints/ledger';

const S = 'volunteering';

/** docs/domain/08-volunteering.md defaults; the backup grace period is citypoints' own (no public rule found). */
const DEFAULT_RULES = {
  pointsPerHour: 10,
  maxCreditedHoursPerService: 8,
  starThresholds: [100, 300, 600, 1000, 1500],
  pointValidityMonths: 36,
  autoConfirmHours: 72,
  backupGraceMinutes: 30,
};

export class Init1764700000000 implements MigrationInterface {
  name = 'Init1764700000000';

  async up(q: QueryRunner): Promise<void> {
    // registry's residents as its events describe them; each part carries the time of the event
    // that last set it, because events arrive at least once and in no particular order
    await q.query(`CREATE TABLE "${S}".residents (
      id uuid PRIMARY KEY,
      division_code text,
      household_id text,
      state_at timestamptz,
      household_at timestamptz
    )`);
    await q.query(`CREATE INDEX residents_household ON "${S}".residents (household_id) WHERE household_id IS NOT NULL`);

    await q.query(`CREATE TABLE "${S}".schemes (
      code text NOT NULL,
      version int NOT NULL CHECK (version > 0),
      effective_from timestamptz NOT NULL,
      rules jsonb NOT NULL,
      published_by text NOT NULL,
      published_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (code, version)
    )`);

    await q.query(`CREATE TABLE "${S}".volunteers (
      resident_id uuid PRIMARY KEY,
      skills text[] NOT NULL DEFAULT '{}',
      registered_at timestamptz NOT NULL
    )`);

    await q.query(`CREATE TABLE "${S}".needs (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      requester_id uuid NOT NULL,
      idempotency_key text NOT NULL,
      category text NOT NULL CHECK (category IN ('RELIEF','MUTUAL_AID','ENVIRONMENT','PROFESSIONAL','COMPREHENSIVE')),
      title text NOT NULL,
      description text,
      division_code text NOT NULL CHECK (division_code ~ '^[0-9]{6}([0-9]{3}){0,2}$'),
      window_start timestamptz NOT NULL,
      window_end timestamptz NOT NULL CHECK (window_end > window_start),
      status text NOT NULL CHECK (status IN ('OPEN','TAKEN','IN_SERVICE','COMPLETED','CONFIRMED','CANCELLED','EXPIRED')),
      primary_id uuid,
      backup_id uuid CHECK (backup_id IS NULL OR backup_id <> primary_id),
      escrow_points int NOT NULL DEFAULT 0 CHECK (escrow_points >= 0),
      hours numeric(6,2) CHECK (hours IS NULL OR hours > 0),
      rating int CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
      confirmed_by text CHECK (confirmed_by IS NULL OR confirmed_by IN ('REQUESTER','AUTO')),
      created_at timestamptz NOT NULL,
      started_at timestamptz,
      completed_at timestamptz,
      closed_at timestamptz,
      UNIQUE (requester_id, idempotency_key)
    )`);
    await q.query(`CREATE INDEX needs_browse ON "${S}".needs (status, division_code, window_start, id)`);
    await q.query(`CREATE INDEX needs_requester ON "${S}".needs (requester_id)`);
    await q.query(`CREATE INDEX needs_due_start ON "${S}".needs (window_start) WHERE status = 'TAKEN'`);
    await q.query(`CREATE INDEX needs_due_end ON "${S}".needs (window_end) WHERE status IN ('OPEN','TAKEN')`);
    await q.query(`CREATE INDEX needs_due_confirm ON "${S}".needs (completed_at) WHERE status = 'COMPLETED'`);

    // every move of a need, who made it and why: the status machine's trail
    await q.query(`CREATE TABLE "${S}".need_transitions (
      id bigserial PRIMARY KEY,
      need_id uuid NOT NULL REFERENCES "${S}".needs(id),
      from_status text,
      to_status text NOT NULL,
      actor text NOT NULL,
      note text,
      at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX need_transitions_need ON "${S}".need_transitions (need_id, id)`);

    // confirmed service hours and administrator-entered hours, kept forever; a service's row
    // carries the scheme version and the breakdown of the points it earned
    await q.query(`CREATE TABLE "${S}".service_hours (
      id bigserial PRIMARY KEY,
      resident_id uuid NOT NULL,
      source text NOT NULL CHECK (source IN ('SERVICE','ADMINISTRATOR')),
      need_id uuid UNIQUE REFERENCES "${S}".needs(id),
      idempotency_key text NOT NULL UNIQUE,
      reported_hours numeric(8,2) NOT NULL CHECK (reported_hours > 0),
      credited_hours numeric(8,2) NOT NULL CHECK (credited_hours >= 0),
      points int NOT NULL CHECK (points >= 0),
      escrow_points int NOT NULL DEFAULT 0,
      scheme_code text NOT NULL,
      scheme_version int NOT NULL,
      breakdown jsonb NOT NULL,
      entered_by text NOT NULL,
      note text,
      at timestamptz NOT NULL,
      CHECK ((source = 'SERVICE') = (need_id IS NOT NULL))
    )`);
    await q.query(`CREATE INDEX service_hours_resident ON "${S}".service_hours (resident_id)`);

    await q.query(`CREATE TABLE "${S}".demo_seeds (seed bigint PRIMARY KEY, loaded_at timestamptz NOT NULL DEFAULT now())`);

    for (const s of auditMigrationSql(S).up) await q.query(s);
    for (const s of eventsMigrationSql(S).up) await q.query(s);
    for (const s of ledgerMigrationSql(S).up) await q.query(s);

    await q.query(
      `INSERT INTO "${S}".schemes (code, version, effective_from, rules, published_by) VALUES ('VOL-TIMEBANK', 1, '2000-01-01T00:00:00Z', $1::jsonb, 'migration')`,
      [JSON.stringify(DEFAULT_RULES)],
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const s of ledgerMigrationSql(S).down) await q.query(s);
    for (const s of eventsMigrationSql(S).down) await q.query(s);
    for (const s of auditMigrationSql(S).down) await q.query(s);
    for (const t of ['demo_seeds', 'service_hours', 'need_transitions', 'needs', 'volunteers', 'schemes', 'residents']) {
      await q.query(`DROP TABLE "${S}".${t}`);
    }
  }
}
