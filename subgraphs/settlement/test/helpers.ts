import { createHash } from 'node:crypto';
import { registry } from '@citypoints/registry';
import { eventually, FixedClock, ok, seed, startCity, type TestCity } from '@citypoints/test-city';
import { makeIdNumber } from '@citypoints/kit';
import { settlement } from '../src';

export const TOWN = '441900003';
export const VILLAGE = '441900003001';

export async function startSettlementCity(now = '2026-03-10T02:00:00Z'): Promise<{ city: TestCity; clock: FixedClock }> {
  const clock = new FixedClock(new Date(now));
  const city = await startCity({ modules: [registry, settlement], workers: true, clock, label: 'settlement' });
  return { city, clock };
}

let adultSequence = 0;

/** Registers residents through registry and waits until settlement's projection has them all. */
export async function residents(city: TestCity, n: number, o: { divisionCode?: string; birthDate?: string } = {}) {
  const s = seed(city);
  const out: { id: string; name: string; idNumber: string; divisionCode: string }[] = [];
  for (let i = 0; i < n; i++) {
    const idNumber = o.birthDate ? makeIdNumber('441900', o.birthDate, 500 + adultSequence++) : undefined;
    out.push(await s.resident({ divisionCode: o.divisionCode ?? VILLAGE, idNumber, hukou: 'MIGRANT' }));
  }
  const ids = out.map((r) => r.id);
  await eventually(async () => {
    const rows = await city.instances.settlement.dataSource.query(`SELECT count(*)::int AS n FROM settlement.residents WHERE id = ANY($1::uuid[])`, [ids]);
    return rows[0].n === ids.length;
  });
  return out;
}

let childSequence = 0;
/** A child's ID number born on 15 March of the year, distinct within the suite (random ones of one birthday collide). */
export const childIdNumber = (birthYear: number) => makeIdNumber('441900', `${birthYear}-03-15`, childSequence++);

export async function upsertSchool(city: TestCity, token: string, name: string, seats: number, year = 2026, grade = 'PRIMARY_1', townCode = TOWN): Promise<string> {
  const d = ok(
    await city.query(`mutation($i: UpsertSchoolInput!) { upsertSchool(input: $i) { id } }`, { i: { name, townCode, seats: [{ year, grade, seats }] } }, token),
  );
  return d.upsertSchool.id;
}

export const SUBMIT = `mutation($i: SubmitSchoolApplicationInput!) { submitSchoolApplication(input: $i) { applicationNo status points { total } } }`;

export function lottery(seedText: string, applicationNo: string): string {
  return createHash('sha256').update(seedText + applicationNo, 'utf8').digest('hex');
}

export async function waitForRun(city: TestCity, token: string, id: string) {
  return eventually(async () => {
    const r = ok(await city.query(`query($id: ID!) { admissionRun(id: $id) { id status seed progress ranked placed waitlisted error poolSize inputsDigest } }`, { id }, token)).admissionRun;
    if (r.status === 'FAILED') throw new Error(`run failed: ${r.error}`);
    return r.status === 'COMPLETED' ? r : null;
  });
}
