import type { EntityManager, DataSource } from 'typeorm';
import { Caller, hasRole } from './caller';

/** DDL of the audit trail a subgraph keeps in its own schema. */
export function auditMigrationSql(schema: string): { up: string[]; down: string[] } {
  return {
    up: [
      `CREATE TABLE "${schema}"."audit_log" (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        roles text[] NOT NULL,
        department text,
        purpose text,
        action text NOT NULL,
        subject_type text NOT NULL,
        subject_id text NOT NULL,
        fields text[] NOT NULL DEFAULT '{}'
      )`,
      `CREATE INDEX audit_log_subject ON "${schema}"."audit_log" (subject_type, subject_id, at)`,
      `CREATE INDEX audit_log_actor ON "${schema}"."audit_log" (actor, at)`,
    ],
    down: [`DROP TABLE "${schema}"."audit_log"`],
  };
}

export interface AuditEntry {
  /** when the read happened, by the subgraph's injected clock (not the database's now()) */
  at: Date;
  action: string;
  subjectType: string;
  subjectIds: string[];
  fields?: string[];
}

/**
 * Writes audit rows: who, what, when and for what purpose. The time is the caller's clock, as every
 * other time a subgraph records, so a test on a fixed clock sees its reads where its writes are.
 */
export async function writeAudit(db: EntityManager | DataSource, schema: string, caller: Caller, e: AuditEntry): Promise<void> {
  if (e.subjectIds.length === 0) return;
  await db.query(
    `INSERT INTO "${schema}"."audit_log" (at, actor, roles, department, purpose, action, subject_type, subject_id, fields)
     SELECT $9, $1, $2, $3, $4, $5, $6, s, $8 FROM unnest($7::text[]) AS s`,
    [caller.sub, caller.roles, caller.department ?? null, caller.purpose ?? null, e.action, e.subjectType, e.subjectIds, e.fields ?? [], e.at],
  );
}

/** A department's read of a person's data is audited (docs/domain/09-access.md). */
export function mustAuditRead(caller: Caller | null | undefined): caller is Caller {
  return !!caller && (hasRole(caller, 'DEPARTMENT_ANALYST') || !!caller.department);
}
