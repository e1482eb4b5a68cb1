import type { EntityManager } from 'typeorm';
import { defineProjection, defineReadThrough, parsePayload, REGISTRY_TOPICS, type DomainEvent, type EventHandler, type OrganisationState } from '@citypoints/events';
import { SCHEMA, type Ctx } from '../runtime';
import type { GradingDeps } from '../grading/grading.service';
import { recomputeMemberEffects } from '../member-effects/member-effect.handlers';

/** Registry's organisations, each field group at the highest version of the organisation seen. */
export const organisationProjection = defineProjection({
  schema: SCHEMA,
  table: 'organisations',
  keyColumn: 'uscc',
  keyType: 'text',
  sources: [
    {
      contract: REGISTRY_TOPICS.organisationRegistered,
      key: (p) => p.uscc,
      groups: {
        identity: { name: (p: OrganisationState) => p.name, kind: (p: OrganisationState) => p.kind, division_code: (p: OrganisationState) => p.divisionCode },
      },
    },
  ],
});

/**
 * An organisation registry knows but no event has brought yet is asked of registry and projected
 * first (read-your-writes). A stub a membership left (no name yet) counts as a miss.
 */
export const organisationReadThrough = defineReadThrough({
  kind: 'organisations',
  projection: organisationProjection,
  contract: REGISTRY_TOPICS.organisationRegistered,
  known: (m, usccs) =>
    m.query(`SELECT uscc FROM "${SCHEMA}".organisations WHERE uscc = ANY($1) AND name IS NOT NULL`, [usccs]).then((rows: { uscc: string }[]) => rows.map((r) => r.uscc)),
});

export const ensureOrganisations = (ctx: Ctx, usccs: readonly string[]) => organisationReadThrough.ensure(ctx, ctx.rt, usccs);

/**
 * A membership fact moves the pair only when its version (registry counts them per organisation)
 * is higher than the one held; the member's effects are then derived again from what is held.
 */
async function applyMembership(rt: GradingDeps, m: EntityManager, e: DomainEvent, member: boolean): Promise<void> {
  const contract = member ? REGISTRY_TOPICS.membershipAdded : REGISTRY_TOPICS.membershipRemoved;
  const p = parsePayload(contract, e.payload);
  // the organisation may not be known yet; its registration fills in the rest
  await m.query(`INSERT INTO "${SCHEMA}".organisations (uscc, kind) VALUES ($1, $2) ON CONFLICT (uscc) DO NOTHING`, [p.organisationUscc, p.kind]);
  const moved: unknown[] = await m.query(
    `INSERT INTO "${SCHEMA}".membership_facts AS f (organisation_uscc, enterprise_uscc, member, version) VALUES ($1, $2, $3, $4)
     ON CONFLICT (organisation_uscc, enterprise_uscc) DO UPDATE SET member = EXCLUDED.member, version = EXCLUDED.version
     WHERE f.version < EXCLUDED.version RETURNING 1`,
    [p.organisationUscc, p.enterpriseUscc, member, e.version],
  );
  if (!moved.length) return;
  if (member) {
    await m.query(`INSERT INTO "${SCHEMA}".memberships (organisation_uscc, enterprise_uscc) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [p.organisationUscc, p.enterpriseUscc]);
  } else {
    await m.query(`DELETE FROM "${SCHEMA}".memberships WHERE organisation_uscc = $1 AND enterprise_uscc = $2`, [p.organisationUscc, p.enterpriseUscc]);
  }
  await recomputeMemberEffects(rt, m, p.enterpriseUscc, e.id);
}

/** registry's organisations and memberships; a membership change regrades with the runtime's clock and ledger. */
export const registryHandlers = (rt: GradingDeps): Record<string, EventHandler> => ({
  ...organisationProjection.handlers,
  [REGISTRY_TOPICS.membershipAdded.topic]: (m, e) => applyMembership(rt, m, e, true),
  [REGISTRY_TOPICS.membershipRemoved.topic]: (m, e) => applyMembership(rt, m, e, false),
});
