import type { EntityManager } from 'typeorm';
import type { DomainEvent, EventHandler } from '@citypoints/events';
import { byKeys, loader } from '@citypoints/federation';
import { SCHEMA, type Ctx } from '../runtime';

export interface EnterpriseFacts {
  uscc: string;
  name: string;
  divisionCode: string;
}

type Registered = { uscc: string; name: string; divisionCode: string };

/** registry.enterprise.registered → our projection; a repeat leaves the newest facts. */
async function onRegistered(m: EntityManager, e: DomainEvent): Promise<void> {
  const p = e.payload as Registered;
  await m.query(
    `INSERT INTO "${SCHEMA}".enterprises (uscc, name, division_code, updated_at) VALUES ($1, $2, $3, now())
     ON CONFLICT (uscc) DO UPDATE SET name = EXCLUDED.name, division_code = EXCLUDED.division_code, updated_at = now()`,
    [p.uscc, p.name, p.divisionCode],
  );
}

export const enterpriseHandlers: Record<string, EventHandler> = {
  'registry.enterprise.registered': onRegistered,
};

export function enterpriseFactsLoader(ctx: Ctx) {
  return loader<string, EnterpriseFacts | null>(ctx, 'enterprise-facts', async (usccs) => {
    const rows: { uscc: string; name: string; division_code: string }[] = await ctx.rt.ds.query(
      `SELECT uscc, name, division_code FROM "${SCHEMA}".enterprises WHERE uscc = ANY($1)`,
      [usccs],
    );
    return byKeys(usccs, rows.map((r) => ({ uscc: r.uscc, name: r.name, divisionCode: r.division_code })), (r) => r.uscc);
  });
}
