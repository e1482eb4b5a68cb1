import { randomUUID } from 'node:crypto';
import { codes, FixedClock, ok, startCity, type TestCity } from '@citypoints/test-city';
import { registry } from '@citypoints/registry';
import { civic } from '@citypoints/civic';
import { DAY, maskName } from '@citypoints/kit';
import { approve, clerks, object, projectedResident, publicise, register, review } from './helpers';

const VILLAGE = '441900005003';
const TOWN = '441900005';
const OTHER_TOWN_VILLAGE = '441900101001';

const RECORD = `id status points item { code points } resident { id name } evidence registeredBy reviewedBy publicisedBy approvedBy creditedPoints breakdown
  publicisedUntil publicityPausedAt publicityRemainingSeconds divisionCode steps { step actor }`;

describe('publicity: a paused window and what each caller sees', () => {
  let city: TestCity;
  let admin: string;
  const clock = new FixedClock(new Date('2026-05-04T02:00:00Z'));
  beforeAll(async () => {
    city = await startCity({ modules: [registry, civic], workers: true, clock, label: 'civic_publicity' });
    admin = await city.token('CITY_ADMIN', { sub: 'admin-1' });
  });
  afterAll(() => city.close());

  const read = (id: string, token: string) => city.query(`query($id: ID!) { civicRecord(id: $id) { ${RECORD} } }`, { id }, token);

  it('stops the window while an objection holds and runs the days that were left after a dismissal', async () => {
    const r = await projectedResident(city, VILLAGE);
    const neighbour = await city.token('RESIDENT', { sub: (await projectedResident(city, VILLAGE)).id });
    const c = await clerks(city, VILLAGE);
    const rec = ok(await register(city, c.registrar, r.id, 'ELDERLY_CARE', '2026-05-01')).registerCivicRecord;
    ok(await review(city, c.reviewer, rec.id));
    const opened = clock.now().getTime();
    expect(new Date(ok(await publicise(city, c.clerk, rec.id)).publiciseCivicRecord.publicisedUntil).getTime()).toBe(opened + 5 * DAY);

    clock.advance(2 * DAY);
    const objected = ok(await city.query(`mutation($id: ID!) { objectToCivicRecord(id: $id, reason: "情况不属实") { ${RECORD} } }`, { id: rec.id }, neighbour)).objectToCivicRecord;
    expect(objected).toMatchObject({ status: 'OBJECTED', publicisedUntil: null, publicityRemainingSeconds: 3 * 86_400 });
    expect(new Date(objected.publicityPausedAt).getTime()).toBe(clock.now().getTime());

    clock.advance(10 * DAY);
    expect(codes(await approve(city, c.townReviewer, rec.id))).toEqual(['INVALID_STATE']);
    // the window is stopped, not closed: another villager may still object
    ok(await object(city, await city.token('RESIDENT', { sub: (await projectedResident(city, VILLAGE)).id }), rec.id));

    const dismissed = ok(await city.query(`mutation($id: ID!) { reviewCivicRecord(id: $id, approve: true) { ${RECORD} } }`, { id: rec.id }, c.reviewer)).reviewCivicRecord;
    expect(dismissed).toMatchObject({ status: 'PUBLICISED', publicityPausedAt: null, publicityRemainingSeconds: null });
    expect(new Date(dismissed.publicisedUntil).getTime()).toBe(clock.now().getTime() + 3 * DAY);

    clock.advance(3 * DAY - 60_000);
    expect(codes(await approve(city, c.townReviewer, rec.id))).toEqual(['INVALID_STATE']);
    clock.advance(60_000);
    expect(ok(await approve(city, c.townReviewer, rec.id)).approveCivicRecord).toMatchObject({ status: 'APPROVED', creditedPoints: 5 });
    expect(codes(await object(city, neighbour, rec.id))).toEqual(['INVALID_STATE']);
  });

  it('rejects the record when the reviewer upholds an objection', async () => {
    const r = await projectedResident(city, VILLAGE);
    const c = await clerks(city, VILLAGE);
    const rec = ok(await register(city, c.registrar, r.id, 'HELP_NEIGHBOUR', '2026-05-01')).registerCivicRecord;
    ok(await review(city, c.reviewer, rec.id));
    ok(await publicise(city, c.clerk, rec.id));
    ok(await object(city, await city.token('RESIDENT', { sub: (await projectedResident(city, VILLAGE)).id }), rec.id));
    expect(ok(await review(city, c.reviewer, rec.id, false)).reviewCivicRecord.status).toBe('REJECTED');
    clock.advance(6 * DAY);
    expect(codes(await approve(city, c.townReviewer, rec.id))).toEqual(['INVALID_STATE']);
  });

  it('shows other villagers the masked name, the item and its points of a record in publicity, and nothing more', async () => {
    const r = await projectedResident(city, VILLAGE);
    const c = await clerks(city, VILLAGE);
    const rec = ok(await register(city, c.registrar, r.id, 'FILIAL_PIETY', '2026-05-02')).registerCivicRecord;
    const neighbour = await city.token('RESIDENT', { sub: (await projectedResident(city, VILLAGE)).id });
    ok(await review(city, c.reviewer, rec.id));
    expect(codes(await read(rec.id, neighbour))).toEqual(['FORBIDDEN']);
    ok(await publicise(city, c.clerk, rec.id));

    const seen = ok(await read(rec.id, neighbour)).civicRecord;
    expect(seen).toMatchObject({
      id: rec.id, status: 'PUBLICISED', points: 5, item: { code: 'FILIAL_PIETY', points: 5 }, resident: { id: r.id, name: maskName(r.name) }, divisionCode: VILLAGE,
      evidence: null, registeredBy: null, reviewedBy: null, publicisedBy: null, approvedBy: null, creditedPoints: null, breakdown: null, steps: null,
    });
    const objected = ok(await city.query(`mutation($id: ID!) { objectToCivicRecord(id: $id, reason: "不实") { ${RECORD} } }`, { id: rec.id }, neighbour)).objectToCivicRecord;
    expect(objected).toMatchObject({ evidence: null, registeredBy: null, steps: null, resident: { name: maskName(r.name) } });

    const outsider = await city.token('RESIDENT', { sub: (await projectedResident(city, OTHER_TOWN_VILLAGE)).id });
    expect(codes(await read(rec.id, outsider))).toEqual(['FORBIDDEN']);
    for (const role of ['MERCHANT', 'DATA_FEED', 'REGULATOR'] as const) {
      expect(codes(await read(rec.id, await city.token(role, { division: TOWN, department: role === 'DATA_FEED' ? 'CIVILISATION_OFFICE' : undefined })))).toEqual(['FORBIDDEN']);
    }
    const own = ok(await read(rec.id, await city.token('RESIDENT', { sub: r.id }))).civicRecord;
    expect(own).toMatchObject({ evidence: '村委会登记', registeredBy: expect.any(String), resident: { name: r.name } });
    expect(own.steps.map((s: { step: string }) => s.step)).toEqual(['REGISTER', 'REVIEW', 'PUBLICISE']);
  });

  it('shows a record rejected before publicity only to its resident and the reviewers', async () => {
    const r = await projectedResident(city, VILLAGE);
    const c = await clerks(city, VILLAGE);
    const rec = ok(await register(city, c.registrar, r.id, 'QUEUE_ORDERLY', '2026-05-02')).registerCivicRecord;
    expect(ok(await review(city, c.reviewer, rec.id, false)).reviewCivicRecord.status).toBe('REJECTED');

    const official = await city.token('TOWN_OFFICIAL', { sub: `official-${randomUUID()}`, division: TOWN });
    const neighbour = await city.token('RESIDENT', { sub: (await projectedResident(city, VILLAGE)).id });
    for (const token of [neighbour, c.registrar, c.clerk, official]) expect(codes(await read(rec.id, token))).toEqual(['FORBIDDEN']);
    expect(codes(await publicise(city, c.clerk, rec.id))).toEqual(['INVALID_STATE']);
    expect(JSON.stringify(await publicise(city, c.clerk, rec.id))).not.toContain('REJECTED');
    for (const token of [await city.token('RESIDENT', { sub: r.id }), c.reviewer, c.townReviewer, admin]) {
      expect(ok(await read(rec.id, token)).civicRecord).toMatchObject({ status: 'REJECTED', evidence: '村委会登记' });
    }

    const cardRecords = `query($id: ID!) { civicCard(residentId: $id) { records { totalCount nodes { id status } } } }`;
    expect(ok(await city.query(cardRecords, { id: r.id }, official)).civicCard.records).toEqual({ totalCount: 0, nodes: [] });
    expect(ok(await city.query(cardRecords, { id: r.id }, c.reviewer)).civicCard.records).toEqual({ totalCount: 1, nodes: [{ id: rec.id, status: 'REJECTED' }] });
    expect(ok(await city.query(`{ myCivicCard { records { totalCount } } }`, {}, await city.token('RESIDENT', { sub: r.id }))).myCivicCard.records.totalCount).toBe(1);
  });

  it("keeps a town's honour lists and every card from merchants, feeds, regulators and other towns' residents", async () => {
    const r = await projectedResident(city, VILLAGE);
    const stars = `{ civilityStars(month: "2026-04", divisionCode: "${TOWN}") { rank } }`;
    const bulletin = `{ civicBulletin(quarter: "2026-Q1", divisionCode: "${VILLAGE}") { records } }`;
    const card = `query($id: ID!) { civicCard(residentId: $id) { cardNo } }`;
    const outsiders = [
      await city.token('MERCHANT', { sub: `merchant-${randomUUID()}` }),
      await city.token('DATA_FEED', { department: 'CIVILISATION_OFFICE' }),
      await city.token('REGULATOR', { division: TOWN }),
      await city.token('RESIDENT', { sub: (await projectedResident(city, OTHER_TOWN_VILLAGE)).id }),
      await city.token('TOWN_OFFICIAL', { division: '441900101' }),
    ];
    for (const t of outsiders) {
      expect(codes(await city.query(stars, {}, t))).toEqual(['FORBIDDEN']);
      expect(codes(await city.query(bulletin, {}, t))).toEqual(['FORBIDDEN']);
      expect(codes(await city.query(card, { id: r.id }, t))).toEqual(['FORBIDDEN']);
    }
    for (const t of [await city.token('RESIDENT', { sub: (await projectedResident(city, VILLAGE)).id }), await city.token('TOWN_OFFICIAL', { division: TOWN }), await city.token('VILLAGE_REVIEWER', { division: VILLAGE })]) {
      expect(ok(await city.query(stars, {}, t)).civilityStars).toEqual([]);
      expect(ok(await city.query(bulletin, {}, t)).civicBulletin).toBeNull();
    }
  });
});
