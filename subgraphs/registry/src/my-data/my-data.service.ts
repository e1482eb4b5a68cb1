import { hasRole, requireCaller, type Caller } from '@citypoints/auth';
import { collectMyData, MY_DATA_SUBGRAPHS, myDataPart, partKey, type AuditedRead, type HeldData, type MyDataPart } from '@citypoints/federation';
import { forbidden, isUuid, notFound } from '@citypoints/kit';
import { SCHEMA, type RegistryRuntime } from '../runtime';

/**
 * What registry holds about a resident: their register entry with the division it names, and
 * how many others share their household (the others themselves are theirs, not the caller's).
 */
export async function registryHeld(rt: Pick<RegistryRuntime, 'ds'>, residentId: string): Promise<HeldData> {
  const rows: Record<string, unknown>[] = await rt.ds.query(
    `SELECT r.id, r.id_number AS "idNumber", r.name, to_char(r.birth_date, 'YYYY-MM-DD') AS "birthDate", r.hukou,
            r.division_code AS "divisionCode", d.name AS "divisionName", p.name AS "townName", r.household_id AS "householdId",
            (SELECT count(*)::int FROM "${SCHEMA}".residents h WHERE h.household_id = r.household_id AND h.id <> r.id) AS "otherHouseholdMembers",
            r.created_at AS "registeredAt", r.updated_at AS "updatedAt"
       FROM "${SCHEMA}".residents r
       LEFT JOIN "${SCHEMA}".divisions d ON d.code = r.division_code
       LEFT JOIN "${SCHEMA}".divisions p ON p.code = d.parent_code
      WHERE r.id = $1::uuid`,
    [residentId],
  );
  const r = rows[0];
  if (!r) return { data: {} };
  if (r.householdId === null) r.otherHouseholdMembers = 0;
  return { data: { ...r, registeredAt: new Date(r.registeredAt as Date).toISOString(), updatedAt: new Date(r.updatedAt as Date).toISOString() } };
}

/**
 * `Query.myData` (docs/my-data.md): everything each subgraph holds about the calling resident and
 * every audited read of it, as one JSON document. Registry answers its own part and asks the
 * others at once; one that does not answer is listed under `unavailable`, the rest still comes.
 * The answer is not itself written to the audit trail: the trail records reads by departments.
 */
export async function myData(rt: RegistryRuntime, c: Caller | null): Promise<Record<string, unknown>> {
  const caller = requireCaller(c);
  if (!hasRole(caller, 'RESIDENT')) throw forbidden('myData is the calling resident\'s own data');
  const residentId = caller.sub;
  if (!isUuid(residentId)) throw notFound('resident', residentId);
  // a token whose subject is no resident of the register asks nobody else
  if (!(await rt.ds.query(`SELECT 1 FROM "${SCHEMA}".residents WHERE id = $1::uuid`, [residentId])).length) throw notFound('resident', residentId);
  const [mine, others] = await Promise.all([
    myDataPart({ subgraph: 'registry', schema: SCHEMA, db: rt.ds, held: (id) => registryHeld(rt, id) }, residentId),
    rt.internal ? collectMyData({ service: 'registry', urlOf: (s) => rt.internal!.urlOf(s), secret: rt.internal.secret }, residentId) : null,
  ]);
  const parts: MyDataPart[] = [mine, ...(others?.parts ?? [])];
  const reads: AuditedRead[] = parts.flatMap((p) => p.reads).sort((a, b) => a.at.localeCompare(b.at) || a.subgraph.localeCompare(b.subgraph));
  const document: Record<string, unknown> = { generatedAt: rt.clock.now().toISOString(), resident: mine.data };
  for (const p of parts.slice(1)) document[partKey(p.subgraph)] = p.data;
  document.reads = reads;
  document.unavailable = others ? others.unavailable : [...MY_DATA_SUBGRAPHS];
  return document;
}
