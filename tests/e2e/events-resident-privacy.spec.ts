import { randomUUID } from 'node:crypto';
import { civic } from '@citypoints/civic';
import { applyOnce, REGISTRY_TOPICS, residentStateV1, type DomainEvent, type EventHandler, type ResidentStateV1 } from '@citypoints/events';
import { makeIdNumber } from '@citypoints/kit';
import { registry } from '@citypoints/registry';
import { settlement } from '@citypoints/settlement';
import { volunteering } from '@citypoints/volunteering';
import { eventually, ok, startCity, type TestCity } from '@citypoints/test-city';
import { residentHandlers as civicResidentHandlers } from '../../subgraphs/civic/src/residents/projection';
import { childLinkHandlers } from '../../subgraphs/settlement/src/records/child-link';
import { residentEventHandlers as settlementResidentHandlers } from '../../subgraphs/settlement/src/residents/resident.projection';
import { residentEventHandlers as volunteeringResidentHandlers } from '../../subgraphs/volunteering/src/residents/resident.projection';
import type { SettlementRuntime } from '../../subgraphs/settlement/src/runtime';

/**
 * Least privilege on the bus (DOMAIN.md §9): registry's resident events carry what their consumers
 * keep (settlement, civic, volunteering) and nothing that rebuilds a resident's ID number. With the
 * birth date published (settlement scores ages), the region and the sequence digits are what is
 * left of the number; version 1 of the payload published them in its masked ID number. Consumers
 * still read version 1.
 */
const VILLAGE = '441900003001';
const PUBLISHED = ['birthDate', 'divisionCode', 'householdId', 'hukou', 'id', 'nameMasked'];

/** Every string a payload holds (its own id aside, which names no one), however deep. */
function strings(v: unknown, key = ''): string[] {
  if (v == null) return [];
  if (Array.isArray(v)) return v.flatMap((x) => strings(x));
  if (typeof v === 'object') return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => strings(x, k));
  return key === 'id' ? [] : [String(v)];
}

/**
 * Whether a payload, with the birth date it publishes, spells the ID number: the whole number, or
 * its sequence and check digits (the region is the division's, for a resident born in the city).
 */
const rebuilds = (payload: unknown, idNumber: string) => strings(payload).some((s) => s.includes(idNumber) || s.includes(idNumber.slice(14)) || s.includes(idNumber.slice(0, 6) + '*'));

describe("registry's resident events on the bus", () => {
  let city: TestCity;
  let official: string;

  beforeAll(async () => {
    city = await startCity({ modules: [registry, settlement, civic, volunteering], workers: true, label: 'resident_events_privacy' });
    official = await city.token('TOWN_OFFICIAL', { sub: 'town-privacy', division: '441900003' });
  });
  afterAll(() => city?.close());

  it('no resident event registry publishes holds enough to rebuild the ID number, and every consumer applies them', async () => {
    // sequence numbers whose digits appear nowhere else in the payloads (division, dates, household)
    const people = [
      { idNumber: makeIdNumber('441900', '1990-03-15', 781), name: '王小明', hukou: 'MIGRANT' },
      { idNumber: makeIdNumber('441900', '2019-06-28', 782), name: '李小红', hukou: 'LOCAL' },
    ];
    const ids: string[] = [];
    for (const p of people) {
      const r = ok(await city.query(`mutation($i: RegisterResidentInput!) { registerResident(input: $i) { id } }`, { i: { ...p, divisionCode: VILLAGE } }, official)).registerResident;
      ids.push(r.id);
    }
    ok(await city.query(`mutation($id: ID!) { updateResident(id: $id, input: { householdId: "HH-PRIVACY-1" }) { id } }`, { id: ids[0] }, official));
    // every consumer has applied the latest state
    await eventually(async () => {
      const [s] = await city.instances.settlement.dataSource.query(`SELECT count(*)::int AS n FROM settlement.residents WHERE id = ANY($1::uuid[]) AND birth_date IS NOT NULL`, [ids]);
      const [c] = await city.instances.civic.dataSource.query(`SELECT count(*)::int AS n FROM civic.residents WHERE id = ANY($1::uuid[]) AND name_masked IS NOT NULL`, [ids]);
      const [v] = await city.instances.volunteering.dataSource.query(`SELECT count(*)::int AS n FROM volunteering.residents WHERE id = $1 AND household_id = 'HH-PRIVACY-1'`, [ids[0]]);
      return s.n === 2 && c.n === 2 && v.n === 1;
    });

    const events: { topic: string; schema_version: number; payload: Record<string, unknown>; aggregate_id: string }[] = await city.instances.registry.dataSource.query(
      `SELECT topic, schema_version, payload, aggregate_id FROM registry.outbox WHERE topic LIKE 'registry.resident.%' AND aggregate_id = ANY($1::text[]) ORDER BY created_at`,
      [ids],
    );
    expect(events.map((e) => e.topic).sort()).toEqual(['registry.resident.changed', 'registry.resident.registered', 'registry.resident.registered']);
    for (const e of events) {
      const idNumber = people[ids.indexOf(e.aggregate_id)].idNumber;
      expect(e.schema_version).toBe(2);
      expect(Object.keys(e.payload).sort()).toEqual(PUBLISHED);
      expect({ topic: e.topic, rebuilds: rebuilds(e.payload, idNumber) }).toEqual({ topic: e.topic, rebuilds: false });
    }
    // what the check catches: the version-1 payload of the same resident
    const v1: ResidentStateV1 = residentStateV1.parse({ ...events[0].payload, idNumberMasked: people[0].idNumber.slice(0, 6) + '********' + people[0].idNumber.slice(14) });
    expect(rebuilds(v1, people[0].idNumber)).toBe(true);
  });

  it('each consumer still reads a version-1 event (with the masked ID number) and keeps nothing of the ID number', async () => {
    const id = randomUUID();
    const idNumber = makeIdNumber('441900', '1988-11-02', 793);
    const payload: ResidentStateV1 = {
      id,
      nameMasked: '陈*',
      idNumberMasked: idNumber.slice(0, 6) + '********' + idNumber.slice(14),
      birthDate: '1988-11-02',
      hukou: 'MIGRANT',
      divisionCode: VILLAGE,
      householdId: 'HH-V1',
    };
    const event: DomainEvent = {
      id: randomUUID(),
      topic: REGISTRY_TOPICS.residentRegistered.topic,
      aggregateId: id,
      version: 1,
      schemaVersion: 1,
      payload: payload as unknown as Record<string, unknown>,
      createdAt: new Date().toISOString(),
      source: 'registry',
    };
    const settlementRt = city.instances.settlement.runtime as SettlementRuntime;
    const consumers: [TestCity['instances'][string]['dataSource'], string, EventHandler][] = [
      [city.instances.settlement.dataSource, 'settlement', childLinkHandlers(settlementRt, settlementResidentHandlers)[event.topic]],
      [city.instances.civic.dataSource, 'civic', civicResidentHandlers[event.topic]],
      [city.instances.volunteering.dataSource, 'volunteering', volunteeringResidentHandlers[event.topic]],
    ];
    for (const [ds, schema, handler] of consumers) {
      expect(await applyOnce(ds, schema, schema, handler, event)).toBe('applied');
      const [row] = await ds.query(`SELECT * FROM "${schema}".residents WHERE id = $1`, [id]);
      expect(row).toMatchObject({ division_code: VILLAGE, household_id: 'HH-V1' });
      const { id: _id, ...kept } = row;
      expect(JSON.stringify(kept)).not.toContain(idNumber.slice(14));
    }
  });
});
