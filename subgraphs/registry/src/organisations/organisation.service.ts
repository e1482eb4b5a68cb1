import { isCityWide, type Caller } from '@citypoints/auth';
import { badInput, conflict, forbidden, isWithinDivision, notFound, parseUscc } from '@citypoints/kit';
import { byKeys, loader } from '@citypoints/federation';
import { membershipAdded, organisationRegistered } from '../events/registry.facts';
import { SCHEMA, type Ctx, type RegistryRuntime } from '../runtime';
import { requireDivisionExists } from '../divisions/division.service';
import type { RegisterSocialOrganisationInput, SocialOrganisation } from './organisation.type';

interface Row {
  uscc: string;
  name: string;
  kind: SocialOrganisation['kind'];
  division_code: string;
}
const toOrg = (r: Row): SocialOrganisation => ({ uscc: r.uscc, name: r.name, kind: r.kind, divisionCode: r.division_code });

export function organisationLoader(ctx: Ctx) {
  return loader<string, SocialOrganisation | null>(ctx, 'organisation', async (ids) => {
    const rows: Row[] = await ctx.rt.ds.query(`SELECT uscc, name, kind, division_code FROM "${SCHEMA}".social_organisations WHERE uscc = ANY($1)`, [ids]);
    return byKeys(ids, rows.map(toOrg), (o) => o.uscc);
  });
}

/** Members of many organisations in one query. */
export function membersLoader(ctx: Ctx) {
  return loader<string, string[]>(ctx, 'organisation-members', async (ids) => {
    const rows: { organisation_uscc: string; enterprise_uscc: string }[] = await ctx.rt.ds.query(
      `SELECT organisation_uscc, enterprise_uscc FROM "${SCHEMA}".organisation_members WHERE organisation_uscc = ANY($1) ORDER BY joined_at, enterprise_uscc`,
      [ids],
    );
    const map = new Map<string, string[]>();
    for (const r of rows) map.set(r.organisation_uscc, [...(map.get(r.organisation_uscc) ?? []), r.enterprise_uscc]);
    return ids.map((id) => map.get(id) ?? []);
  });
}

function assertReach(caller: Caller, divisionCode: string) {
  if (!isCityWide(caller) && !isWithinDivision(divisionCode, caller.division)) throw forbidden('outside the caller\'s division');
}

export async function registerOrganisation(rt: RegistryRuntime, caller: Caller, input: RegisterSocialOrganisationInput): Promise<SocialOrganisation> {
  const uscc = parseUscc(input.uscc);
  const name = input.name.trim();
  if (!name || name.length > 200) throw badInput('name must have 1 to 200 characters', { field: 'name' });
  const division = await requireDivisionExists(rt.ds, input.divisionCode);
  assertReach(caller, division.code);
  return rt.ds.transaction(async (m) => {
    const taken = await m.query(`SELECT 1 FROM "${SCHEMA}".enterprises WHERE uscc = $1`, [uscc]);
    if (taken.length) throw conflict(`${uscc} is registered as an enterprise`, { field: 'uscc' });
    const rows: Row[] = await m.query(
      `INSERT INTO "${SCHEMA}".social_organisations (uscc, name, kind, division_code) VALUES ($1, $2, $3, $4)
       ON CONFLICT (uscc) DO NOTHING RETURNING uscc, name, kind, division_code`,
      [uscc, name, input.kind, division.code],
    );
    if (!rows.length) throw conflict(`social organisation ${uscc} is registered already`, { field: 'uscc' });
    await organisationRegistered(m, { uscc, name, kind: input.kind, divisionCode: division.code });
    return toOrg(rows[0]);
  });
}

export async function addMember(rt: RegistryRuntime, caller: Caller, organisationUscc: string, enterpriseUscc: string): Promise<SocialOrganisation> {
  const org = parseUscc(organisationUscc);
  const ent = parseUscc(enterpriseUscc);
  return rt.ds.transaction(async (m) => {
    const orgs: Row[] = await m.query(`SELECT uscc, name, kind, division_code FROM "${SCHEMA}".social_organisations WHERE uscc = $1`, [org]);
    if (!orgs.length) throw notFound('social organisation', org);
    assertReach(caller, orgs[0].division_code);
    const ents = await m.query(`SELECT 1 FROM "${SCHEMA}".enterprises WHERE uscc = $1`, [ent]);
    if (!ents.length) throw notFound('enterprise', ent);
    const inserted = await m.query(
      `INSERT INTO "${SCHEMA}".organisation_members (organisation_uscc, enterprise_uscc) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
      [org, ent],
    );
    if (inserted.length) {
      await membershipAdded(m, { uscc: org, kind: orgs[0].kind }, ent);
    }
    return toOrg(orgs[0]);
  });
}
