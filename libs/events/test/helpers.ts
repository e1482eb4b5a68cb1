import { eventsMigrationSql, eventTraceMigrationSql, eventVersionsMigrationSql } from '../src';

/** The statements that give a schema the events tables as a subgraph's migrations leave them (outbox, inbox, versions, trace context). */
export const eventsTablesSql = (schema: string): string[] => [...eventsMigrationSql(schema).up, ...eventVersionsMigrationSql(schema).up, ...eventTraceMigrationSql(schema).up];

/** Polls until `check` returns a value other than undefined; gives up after a generous timeout. */
export async function waitFor<T>(label: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
