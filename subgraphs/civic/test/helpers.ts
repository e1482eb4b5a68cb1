import { randomUUID } from 'node:crypto';
import { eventually, ok, seed, type TestCity } from '@citypoints/test-city';

export const RECORD_FIELDS = `id status points creditedPoints breakdown occurredOn registeredBy reviewedBy publicisedBy approvedBy publicisedUntil item { code points monthlyCap } resident { id }`;

/** One clerk of each step of a village's review, each a different person. */
export async function clerks(city: TestCity, village: string) {
  const town = village.slice(0, 9);
  return {
    registrar: await city.token('VILLAGE_REGISTRAR', { sub: `registrar-${randomUUID()}`, division: village }),
    reviewer: await city.token('VILLAGE_REVIEWER', { sub: `reviewer-${randomUUID()}`, division: village }),
    clerk: await city.token('PUBLICITY_CLERK', { sub: `clerk-${randomUUID()}`, division: village }),
    townReviewer: await city.token('TOWN_REVIEWER', { sub: `town-reviewer-${randomUUID()}`, division: town }),
  };
}

/** A resident registered with registry, once civic's projection has it. */
export async function projectedResident(city: TestCity, divisionCode = '441900003001') {
  const r = await seed(city).resident({ divisionCode });
  await eventually(async () => (await city.instances.civic.dataSource.query('SELECT 1 FROM civic.residents WHERE id = $1', [r.id])).length > 0);
  return r;
}

export async function register(city: TestCity, token: string, residentId: string, itemCode: string, occurredOn: string, key = randomUUID()) {
  return city.query(
    `mutation($i: RegisterCivicRecordInput!) { registerCivicRecord(input: $i) { ${RECORD_FIELDS} } }`,
    { i: { residentId, itemCode, occurredOn, evidence: '村委会登记', idempotencyKey: key } },
    token,
  );
}

export const review = (city: TestCity, token: string, id: string, approve = true) =>
  city.query(`mutation($id: ID!, $a: Boolean!) { reviewCivicRecord(id: $id, approve: $a) { ${RECORD_FIELDS} } }`, { id, a: approve }, token);
export const publicise = (city: TestCity, token: string, id: string) => city.query(`mutation($id: ID!) { publiciseCivicRecord(id: $id) { ${RECORD_FIELDS} } }`, { id }, token);
export const approve = (city: TestCity, token: string, id: string, yes = true) =>
  city.query(`mutation($id: ID!, $a: Boolean!) { approveCivicRecord(id: $id, approve: $a) { ${RECORD_FIELDS} } }`, { id, a: yes }, token);
export const object = (city: TestCity, token: string, id: string, reason = '情况不属实') =>
  city.query(`mutation($id: ID!, $r: String!) { objectToCivicRecord(id: $id, reason: $r) { ${RECORD_FIELDS} } }`, { id, r: reason }, token);

/** Registration to approval in a town whose publicity window is 0 days. */
export async function throughReview(city: TestCity, c: Awaited<ReturnType<typeof clerks>>, residentId: string, itemCode: string, occurredOn: string) {
  const rec = ok(await register(city, c.registrar, residentId, itemCode, occurredOn)).registerCivicRecord;
  ok(await review(city, c.reviewer, rec.id));
  ok(await publicise(city, c.clerk, rec.id));
  return ok(await approve(city, c.townReviewer, rec.id)).approveCivicRecord;
}
