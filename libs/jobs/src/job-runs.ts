import { assertIdentifier, DataSource, EntityManager } from '@citypoints/db';
import { conflict, notFound } from '@citypoints/kit';

export type JobRunStatus = 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'FAILED';
export type JobCounters = Record<string, unknown>;

/** A job run as GraphQL shows it: what was asked, how far it got, how it ended. */
export interface JobRun {
  id: string;
  kind: string;
  params: Record<string, unknown>;
  idempotencyKey: string | null;
  status: JobRunStatus;
  /** 0..1 */
  progress: number;
  counters: JobCounters;
  result: unknown;
  error: string | null;
  attempts: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** Anything that runs SQL: a DataSource (own connection) or a transaction's EntityManager. */
export type Queryable = Pick<EntityManager, 'query'> | Pick<DataSource, 'query'>;

/** SQL for the subgraph's own migration class: `up`/`down` statements run in order. */
export function jobRunMigrationSql(schema: string): { up: string[]; down: string[] } {
  assertIdentifier(schema);
  const t = `"${schema}"."job_runs"`;
  return {
    up: [
      `CREATE TABLE ${t} (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "kind" text NOT NULL,
        "params" jsonb NOT NULL DEFAULT '{}'::jsonb,
        "idempotency_key" text NULL,
        "status" text NOT NULL DEFAULT 'QUEUED' CHECK ("status" IN ('QUEUED', 'RUNNING', 'COMPLETED', 'FAILED')),
        "progress" real NOT NULL DEFAULT 0 CHECK ("progress" >= 0 AND "progress" <= 1),
        "counters" jsonb NOT NULL DEFAULT '{}'::jsonb,
        "result" jsonb NULL,
        "error" text NULL,
        "attempts" integer NOT NULL DEFAULT 0,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "started_at" timestamptz NULL,
        "finished_at" timestamptz NULL,
        CONSTRAINT "job_runs_idempotency_key_uq" UNIQUE ("idempotency_key")
      )`,
      `CREATE INDEX "job_runs_kind_created_idx" ON ${t} ("kind", "created_at" DESC)`,
    ],
    down: [`DROP TABLE IF EXISTS ${t}`],
  };
}

interface JobRunRow {
  id: string;
  kind: string;
  params: Record<string, unknown>;
  idempotency_key: string | null;
  status: JobRunStatus;
  progress: number;
  counters: JobCounters;
  result: unknown;
  error: string | null;
  attempts: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

function toRun(r: JobRunRow): JobRun {
  return {
    id: r.id,
    kind: r.kind,
    params: r.params,
    idempotencyKey: r.idempotency_key,
    status: r.status,
    progress: Number(r.progress),
    counters: r.counters,
    result: r.result,
    error: r.error,
    attempts: r.attempts,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

const clamp01 = (n: number) => (Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0);

/**
 * The `job_runs` table of one subgraph's schema. Every method takes the EntityManager of the
 * caller's transaction (or a DataSource for a statement of its own), so a run's bookkeeping can
 * commit together with the work it describes.
 */
export class JobRuns {
  private readonly table: string;

  constructor(readonly schema: string) {
    assertIdentifier(schema);
    this.table = `"${schema}"."job_runs"`;
  }

  /**
   * Records a requested run. With a key, asking twice (a double click, a retried mutation)
   * returns the first run instead of starting another.
   */
  async create(m: Queryable, input: { kind: string; params?: Record<string, unknown>; key?: string | null }): Promise<JobRun> {
    const key = input.key ?? null;
    const inserted: JobRunRow[] = await m.query(
      `INSERT INTO ${this.table} ("kind", "params", "idempotency_key") VALUES ($1, $2::jsonb, $3)
       ON CONFLICT ("idempotency_key") DO NOTHING RETURNING *`,
      [input.kind, JSON.stringify(input.params ?? {}), key],
    );
    if (inserted.length) return toRun(inserted[0]);
    const existing: JobRunRow[] = await m.query(`SELECT * FROM ${this.table} WHERE "idempotency_key" = $1`, [key]);
    if (!existing.length) throw new Error(`job run with key ${key} vanished while being created`);
    if (existing[0].kind !== input.kind) {
      throw conflict(`idempotency key ${key} already names a ${existing[0].kind} run`, { key, kind: existing[0].kind });
    }
    return toRun(existing[0]);
  }

  async get(m: Queryable, id: string): Promise<JobRun | null> {
    const rows: JobRunRow[] = await m.query(`SELECT * FROM ${this.table} WHERE "id" = $1`, [id]);
    return rows.length ? toRun(rows[0]) : null;
  }

  /** Counts an attempt. A completed run stays completed, so the caller can see there is nothing to do. */
  async markRunning(m: Queryable, id: string): Promise<JobRun> {
    return this.update(
      m,
      id,
      `"status" = 'RUNNING', "attempts" = "attempts" + 1, "started_at" = COALESCE("started_at", now()), "error" = NULL`,
      [],
      `"status" <> 'COMPLETED'`,
    );
  }

  /** Sets progress and merges `counters` into the stored ones (keys not given are kept). */
  async reportProgress(m: Queryable, id: string, progress: number, counters: JobCounters = {}): Promise<JobRun> {
    return this.update(m, id, `"progress" = $2, "counters" = "counters" || $3::jsonb`, [
      clamp01(progress),
      JSON.stringify(counters),
    ]);
  }

  async complete(m: Queryable, id: string, result: unknown = null): Promise<JobRun> {
    return this.update(
      m,
      id,
      `"status" = 'COMPLETED', "progress" = 1, "result" = $2::jsonb, "error" = NULL, "finished_at" = now()`,
      [JSON.stringify(result ?? null)],
    );
  }

  /** A failed attempt; `markRunning` on the retry moves it back to RUNNING. */
  async fail(m: Queryable, id: string, error: unknown): Promise<JobRun> {
    const message = error instanceof Error ? error.message : String(error);
    return this.update(m, id, `"status" = 'FAILED', "error" = $2, "finished_at" = now()`, [message], `"status" <> 'COMPLETED'`);
  }

  /** Locks the run's row until the caller's transaction ends; concurrent attempts queue here. */
  async lock(m: Queryable, id: string): Promise<JobRun> {
    const rows: JobRunRow[] = await m.query(`SELECT * FROM ${this.table} WHERE "id" = $1 FOR UPDATE`, [id]);
    if (!rows.length) throw notFound('job run', id);
    return toRun(rows[0]);
  }

  private async update(m: Queryable, id: string, set: string, params: unknown[], guard = 'TRUE'): Promise<JobRun> {
    // wrapped in a CTE so TypeORM returns plain rows (a bare UPDATE gives [rows, count])
    const rows: JobRunRow[] = await m.query(
      `WITH u AS (UPDATE ${this.table} SET ${set} WHERE "id" = $1 AND ${guard} RETURNING *) SELECT * FROM u`,
      [id, ...params],
    );
    if (rows.length) return toRun(rows[0]);
    const current = await this.get(m, id);
    if (!current) throw notFound('job run', id);
    return current;
  }
}
