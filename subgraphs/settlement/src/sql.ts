import type { EntityManager } from 'typeorm';

/** Rows of an UPDATE/DELETE … RETURNING (TypeORM gives a bare one as [rows, count]). */
export async function returning<T>(m: Pick<EntityManager, 'query'>, statement: string, params: unknown[]): Promise<T[]> {
  return m.query(`WITH u AS (${statement}) SELECT * FROM u`, params);
}
