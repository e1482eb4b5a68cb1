import type { MigrationInterface, QueryRunner } from 'typeorm';
import { auditMigrationSql } from '@citypoints/auth';
import { eventsMigrationSql } from '@citypoints/events';
import { CITY, TOWNS, villagesOf } from '../seed/divisions.data';

const S = 'registry';

export class Init1764100000000 implements MigrationInterface {
  name = 'Init1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "${S}".divisions (
      code text PRIMARY KEY CHECK (code ~ '^[0-9]{6}([0-9]{3}){0,2}$'),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      level text NOT NULL CHECK (level IN ('CITY','TOWN','VILLAGE')),
      parent_code text REFERENCES "${S}".divisions(code)
    )`);
    await q.query(`CREATE INDEX divisions_parent ON "${S}".divisions (parent_code)`);
    await q.query(`CREATE TABLE "${S}".residents (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      id_number text NOT NULL UNIQUE,
      name text NOT NULL,
      birth_date date NOT NULL,
      hukou text NOT NULL CHECK (hukou IN ('LOCAL','MIGRANT')),
      division_code text NOT NULL REFERENCES "${S}".divisions(code),
      household_id text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX residents_division ON "${S}".residents (division_code)`);
    await q.query(`CREATE INDEX residents_household ON "${S}".residents (household_id) WHERE household_id IS NOT NULL`);
    await q.query(`CREATE TABLE "${S}".enterprises (
      uscc text PRIMARY KEY,
      name text NOT NULL,
      division_code text NOT NULL REFERENCES "${S}".divisions(code),
      industry text,
      employees int CHECK (employees IS NULL OR employees >= 0),
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX enterprises_division ON "${S}".enterprises (division_code)`);
    await q.query(`CREATE TABLE "${S}".social_organisations (
      uscc text PRIMARY KEY,
      name text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('CHAMBER_OF_COMMERCE','INDUSTRY_ASSOCIATION','PRIVATE_NON_ENTERPRISE','FOUNDATION')),
      division_code text NOT NULL REFERENCES "${S}".divisions(code),
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE "${S}".organisation_members (
      organisation_uscc text NOT NULL REFERENCES "${S}".social_organisations(uscc),
      enterprise_uscc text NOT NULL REFERENCES "${S}".enterprises(uscc),
      joined_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (organisation_uscc, enterprise_uscc)
    )`);
    await q.query(`CREATE INDEX organisation_members_enterprise ON "${S}".organisation_members (enterprise_uscc)`);
    await q.query(`CREATE TABLE "${S}".demo_seeds (seed bigint PRIMARY KEY, loaded_at timestamptz NOT NULL DEFAULT now())`);
    for (const s of auditMigrationSql(S).up) await q.query(s);
    for (const s of eventsMigrationSql(S).up) await q.query(s);

    await q.query(`INSERT INTO "${S}".divisions (code, name, level, parent_code) VALUES ($1, $2, 'CITY', NULL)`, [CITY.code, CITY.name]);
    for (const town of TOWNS) {
      await q.query(`INSERT INTO "${S}".divisions (code, name, level, parent_code) VALUES ($1, $2, 'TOWN', $3)`, [town.code, town.name, CITY.code]);
      for (const v of villagesOf(town)) {
        await q.query(`INSERT INTO "${S}".divisions (code, name, level, parent_code) VALUES ($1, $2, 'VILLAGE', $3)`, [v.code, v.name, town.code]);
      }
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const s of eventsMigrationSql(S).down) await q.query(s);
    for (const s of auditMigrationSql(S).down) await q.query(s);
    for (const t of ['demo_seeds', 'organisation_members', 'social_organisations', 'enterprises', 'residents', 'divisions']) {
      await q.query(`DROP TABLE "${S}".${t}`);
    }
  }
}
