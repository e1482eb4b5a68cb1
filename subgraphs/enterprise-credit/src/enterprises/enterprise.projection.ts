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
    await enterpriseReadThrough.ensure(ctx, ctx.rt, usccs);
    const rows: { uscc: string; name: string; division_code: string }[] = await ctx.rt.ds.query(
      `SELECT uscc, name, division_code FROM "${SCHEMA}".enterprises WHERE uscc = ANY($1)`,
      [usccs],
    );
    return byKeys(usccs, rows.map((r) => ({ uscc: r.uscc, name: r.name, divisionCode: r.division_code })), (r) => r.uscc);
  });
}
