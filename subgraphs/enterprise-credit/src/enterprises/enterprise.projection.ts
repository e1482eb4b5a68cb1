import { defineProjection, defineReadThrough, REGISTRY_TOPICS, type EnterpriseState } from '@citypoints/events';
import { byKeys, loader } from '@citypoints/federation';
import { SCHEMA, type Ctx } from '../runtime';

export interface EnterpriseFacts {
  uscc: string;
  name: string;
  divisionCode: string;
}

/** registry.enterprise.registered → our projection, at the highest version of the enterprise seen. */
export const enterpriseProjection = defineProjection({
  schema: SCHEMA,
  table: 'enterprises',
  keyColumn: 'uscc',
  keyType: 'text',
  sources: [
    {
      contract: REGISTRY_TOPICS.enterpriseRegistered,
      key: (p) => p.uscc,
      groups: { identity: { name: (p: EnterpriseState) => p.name, division_code: (p: EnterpriseState) => p.divisionCode } },
    },
  ],
});

export const enterpriseHandlers = enterpriseProjection.handlers;

/** An enterprise registry knows but no event has brought yet is asked of registry and projected first (read-your-writes). */
export const enterpriseReadThrough = defineReadThrough({
  kind: 'enterprises',
  projection: enterpriseProjection,
  contract: REGISTRY_TOPICS.enterpriseRegistered,
  known: (m, usccs) => m.query(`SELECT uscc FROM "${SCHEMA}".enterprises WHERE uscc = ANY($1)`, [usccs]).then((rows: { uscc: string }[]) => rows.map((r) => r.uscc)),
});

export function enterpriseFactsLoader(ctx: Ctx) {
  return loader<string, EnterpriseFacts | null>(ctx, 'enterprise-facts', async (usccs) => {
    const read = (keys: readonly string[]): Promise<{ uscc: string; name: string; division_code: string }[]> =>
      keys.length ? ctx.rt.ds.query(`SELECT uscc, name, division_code FROM "${SCHEMA}".enterprises WHERE uscc = ANY($1)`, [keys]) : Promise.resolve([]);
    const rows = await read(usccs);
    // enterprises registry knows but no event has brought yet: asked of registry, then read
    const missing = usccs.filter((u) => !rows.some((r) => r.uscc === u));
    if (missing.length) rows.push(...(await read([...(await enterpriseReadThrough.fill(ctx, ctx.rt, missing))])));
    return byKeys(usccs, rows.map((r) => ({ uscc: r.uscc, name: r.name, divisionCode: r.division_code })), (r) => r.uscc);
  });
}
