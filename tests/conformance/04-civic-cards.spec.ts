/**
 * docs/domain/04-civic-cards.md, "From a record to points: four steps", through the gateway
 * (registry + civic); the behaviour items are the seeded defaults.
 */
import { randomUUID } from 'node:crypto';
import { registry } from '@citypoints/registry';
import { civic } from '@citypoints/civic';
import { DAY } from '@citypoints/kit';
import { codes, FixedClock, ok, startCity, type TestCity } from '@citypoints/test-city';
import { DEFAULT_ITEMS } from '../../subgraphs/civic/src/rules/defaults';
import { approve, clerks, object, projectedResident, publicise, register, review } from '../../subgraphs/civic/test/helpers';

const VILLAGE = '441900003001';
const TOWN = '441900003';
const clock = new FixedClock(new Date('2026-03-02T02:00:00Z'));
let city: TestCity;
let admin: string;

const balance = async (residentId: string) =>
  ok(await city.query(`query($id: ID!) { resident(id: $id) { civicCard { balance } } }`, { id: residentId }, admin)).resident.civicCard.balance;

beforeAll(async () => {
  city = await startCity({ modules: [registry, civic], workers: true, clock, label: 'conf_civic' });
  admin = await city.token('CITY_ADMIN', { sub: 'conf-admin' });
});
afterAll(() => city.close());

describe('§4 Behaviour items', () => {
  it('An item carries its points (positive or negative) and may cap how much one resident can earn from it per month', async () => {
    const items: { code: string; points: number; monthlyCap: number | null }[] = ok(await city.query(`query($d: ID) { behaviourItems(divisionCode: $d) { code points monthlyCap } }`, { d: TOWN }, admin)).behaviourItems;
    // the town's list, until it redefines an item, is the shipped defaults, each with its points and cap
    for (const d of DEFAULT_ITEMS) expect(items).toContainEqual({ code: d.code, points: d.points, monthlyCap: d.monthlyCap });
    expect(items.some((i) => i.points < 0)).toBe(true);
    expect(items.some((i) => i.points > 0)).toBe(true);
    expect(items.some((i) => i.monthlyCap !== null)).toBe(true);
  });
});

describe('§4 From a record to points: four steps', () => {
  it('REGISTERED by the village registrar, VILLAGE_REVIEWED by the village reviewer, PUBLICISED by the publicity clerk, APPROVED by the town re-reviewer — in that order', async () => {
    const r = await projectedResident(city, VILLAGE);
    const c = await clerks(city, VILLAGE);
    const rec = ok(await register(city, c.registrar, r.id, 'HELP_NEIGHBOUR', '2026-03-01')).registerCivicRecord;
    expect(rec.status).toBe('REGISTERED');
    // no step can be skipped
    expect(codes(await publicise(city, c.clerk, rec.id))).toEqual(['INVALID_STATE']);
    expect(codes(await approve(city, c.townReviewer, rec.id))).toEqual(['INVALID_STATE']);
    // nor taken by another step's role
    expect(codes(await review(city, c.clerk, rec.id))).toEqual(['FORBIDDEN']);
    expect(ok(await review(city, c.reviewer, rec.id)).reviewCivicRecord.status).toBe('VILLAGE_REVIEWED');
    const pub = ok(await publicise(city, c.clerk, rec.id)).publiciseCivicRecord;
    expect(pub.status).toBe('PUBLICISED');
    clock.advance(5 * DAY);
    expect(ok(await approve(city, c.townReviewer, rec.id)).approveCivicRecord.status).toBe('APPROVED');
  });

  it("PUBLICISED for the town's publicity window — 5 days unless the town chose another length", async () => {
    const r = await projectedResident(city, VILLAGE);
    const c = await clerks(city, VILLAGE);
    const rec = ok(await register(city, c.registrar, r.id, 'HELP_NEIGHBOUR', '2026-03-01')).registerCivicRecord;
    ok(await review(city, c.reviewer, rec.id));
    const pub = ok(await publicise(city, c.clerk, rec.id)).publiciseCivicRecord;
    expect(new Date(pub.publicisedUntil).getTime()).toBe(clock.now().getTime() + 5 * DAY);
  });

  it('An objection (OBJECTED) stops the window\'s clock until a reviewer rules; when dismissed the days that were left run again', async () => {
    const r = await projectedResident(city, VILLAGE);
    const neighbour = await projectedResident(city, VILLAGE);
    const c = await clerks(city, VILLAGE);
    const rec = ok(await register(city, c.registrar, r.id, 'ELDERLY_CARE', '2026-03-01')).registerCivicRecord;
    ok(await review(city, c.reviewer, rec.id));
    ok(await publicise(city, c.clerk, rec.id));
    clock.advance(2 * DAY);
    expect(ok(await object(city, await city.token('RESIDENT', { sub: neighbour.id }), rec.id)).objectToCivicRecord.status).toBe('OBJECTED');
    clock.advance(10 * DAY);
    expect(codes(await approve(city, c.townReviewer, rec.id))).toEqual(['INVALID_STATE']);
    expect(ok(await review(city, c.reviewer, rec.id)).reviewCivicRecord.status).toBe('PUBLICISED');
    // three days were left when the objection came
    clock.advance(2 * DAY);
    expect(codes(await approve(city, c.townReviewer, rec.id))).toEqual(['INVALID_STATE']);
    clock.advance(1 * DAY);
    expect(ok(await approve(city, c.townReviewer, rec.id)).approveCivicRecord.status).toBe('APPROVED');
  });

  it('Only approval posts points to the ledger', async () => {
    const r = await projectedResident(city, VILLAGE);
    const c = await clerks(city, VILLAGE);
    const rec = ok(await register(city, c.registrar, r.id, 'HELP_NEIGHBOUR', '2026-03-01')).registerCivicRecord;
    ok(await review(city, c.reviewer, rec.id));
    ok(await publicise(city, c.clerk, rec.id));
    clock.advance(5 * DAY);
    expect(await balance(r.id)).toBe(0);
    const done = ok(await approve(city, c.townReviewer, rec.id)).approveCivicRecord;
    expect(await balance(r.id)).toBe(done.creditedPoints);
    expect(done.creditedPoints).toBeGreaterThan(0);
  });

  it('A record can be REJECTED at any step', async () => {
    const r = await projectedResident(city, VILLAGE);
    const c = await clerks(city, VILLAGE);
    const first = ok(await register(city, c.registrar, r.id, 'HELP_NEIGHBOUR', '2026-03-01')).registerCivicRecord;
    expect(ok(await review(city, c.reviewer, first.id, false)).reviewCivicRecord.status).toBe('REJECTED');
    const last = ok(await register(city, c.registrar, r.id, 'HELP_NEIGHBOUR', '2026-03-01')).registerCivicRecord;
    ok(await review(city, c.reviewer, last.id));
    ok(await publicise(city, c.clerk, last.id));
    clock.advance(5 * DAY);
    expect(ok(await approve(city, c.townReviewer, last.id, false)).approveCivicRecord.status).toBe('REJECTED');
    expect(await balance(r.id)).toBe(0);
  });

  it('no one performs two steps of the same record', async () => {
    const r = await projectedResident(city, VILLAGE);
    const both = await city.token(['VILLAGE_REGISTRAR', 'VILLAGE_REVIEWER'], { sub: `clerk-${randomUUID()}`, division: VILLAGE });
    const rec = ok(await register(city, both, r.id, 'HELP_NEIGHBOUR', '2026-03-02')).registerCivicRecord;
    expect(codes(await review(city, both, rec.id))).toEqual(['FORBIDDEN']);
    const after = ok(await city.query(`query($id: ID!) { civicRecord(id: $id) { status reviewedBy } }`, { id: rec.id }, admin)).civicRecord;
    expect(after).toEqual({ status: 'REGISTERED', reviewedBy: null });
  });
});
