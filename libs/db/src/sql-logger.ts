import type { Logger as TypeOrmLogger, QueryRunner } from 'typeorm';
import { logger } from '@citypoints/log';

/** First words of a statement, enough to know which one failed, never its values. */
function shape(query: string): string {
  return query.replace(/\s+/g, ' ').trim().slice(0, 160);
}

/**
 * TypeORM's logger for every subgraph pool: a failed or slow statement is logged with its SQL
 * text and PostgreSQL error code, never with its parameters or the driver's detail (which quotes
 * the values: ID numbers and names).
 */
export class SafeSqlLogger implements TypeOrmLogger {
  private readonly out;

  constructor(
    schema: string,
    private readonly logQueries = false,
  ) {
    this.out = logger(`db:${schema}`);
  }

  logQuery(query: string, _parameters?: unknown[], _runner?: QueryRunner): void {
    if (this.logQueries) this.out.debug({ sql: shape(query) }, 'query');
  }

  logQueryError(error: string | Error, query: string, _parameters?: unknown[], _runner?: QueryRunner): void {
    const e = error as { code?: string; message?: string };
    this.out.warn({ sql: shape(query), code: typeof error === 'string' ? undefined : e.code }, `query failed: ${typeof error === 'string' ? error : (e.message ?? 'error')}`);
  }

  logQuerySlow(time: number, query: string, _parameters?: unknown[], _runner?: QueryRunner): void {
    this.out.warn({ sql: shape(query), ms: time }, 'slow query');
  }

  logSchemaBuild(message: string): void {
    this.out.debug(message);
  }

  logMigration(message: string): void {
    this.out.info(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    if (level === 'warn') this.out.warn(text);
    else this.out.debug(text);
  }
}
