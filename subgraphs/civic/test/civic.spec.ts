import { randomUUID } from 'node:crypto';
import { codes, eventually, FixedClock, ok, startCity, type TestCity } from '@citypoints/test-city';
import { registry } from '@citypoints/registry';
import { civic } from '@citypoints/civic';
import { DAY } from '@citypoints/kit';
import { Ledger } from '@citypoints/ledger';
import { approve, clerks, object, projectedResident, publicise, register, review } from './helpers';

const VILLAGE = '441900003001';
const TOWN = '441900003';

describe('civic review workflow through the gateway', () => {
  let city: TestCity;
  let admin: string;
  const clock = new FixedClock(new Date('2026-03-02T02:00:00Z'));
  beforeAll(async () => {
    city = await startCity({ modules: [registry, civic], workers: true, clock });
    admin = await city.token('CITY_ADMIN', { sub: 'admin-1' });
  });
  afterAll(() => city.close());

  const card = async (residentId: string) =>
    ok(await city.query(`query($id: ID!) { resident(id: $id) { id civicCard { cardNo balance passbooks { kind balance lifetimeEarned lifetimeSpent } } } }`, { id: residentId }, admin)).resident.civicCard;

  it('takes a record from registration to approval, each step by its own clerk, and the passbook moves only then', async () => {
    const r = await projectedResident(city, VILLAGE);
    const c = await clerks(city, VILLAGE);
    const key = randomUUID();
    const rec = ok(await register(city, c.registrar, r.id, 'HELP_NEIGHBOUR', '2026-03-01', key)).registerCivicRecord;
    expect(rec).toMatchObject({ status: 'REGISTERED', points: 3, creditedPoints: null, item: { code: 'HELP_NEIGHBOUR', points: 3 } });
    expect(ok(await register(city, c.registrar, r.id, 'HELP_NEIGHBOUR', '2026-03-01', key)).registerCivicRecord.id).toBe(rec.id);

    expect(ok(await review(city, c.reviewer, rec.id)).reviewCivicRecord.status).toBe('VILLAGE_REVIEWED');
    const pub = ok(await publicise(city, c.clerk, rec.id)).publiciseCivicRecord;
    expect(pub.status).toBe('PUBLICISED');
    expect(new Date(pub.publicisedUntil).getTime()).toBe(clock.now().getTime() + 5 * DAY);
    expect((await card(r.id)).balance).toBe(0);

    const early = await approve(city, c.townReviewer, rec.id);
    expect(codes(early)).toEqual(['INVALID_STATE']);
    clock.advance(5 * DAY);
    const done = ok(await approve(city, c.townReviewer, rec.id)).approveCivicRecord;
    expect(done).toMatchObject({ status: 'APPROVED', points: 3, creditedPoints: 3 });
    expect(new Set([done.registeredBy, done.reviewedBy, done.publicisedBy, done.approvedBy]).size).toBe(4);

    const after = await card(r.id);
    expect(after.balance).toBe(3);
    expect(after.passbooks.find((p: { kind: string }) => p.kind === 'CIVIC')).toEqual({ kind: 'CIVIC', balance: 3, lifetimeEarned: 3, lifetimeSpent: 0 });
    const mine = ok(await city.query(`{ myCivicCard { cardNo balance records { totalCount nodes { id status } } privileges } }`, {}, await city.token('RESIDENT', { sub: r.id })));
    expect(mine.myCivicCard).toMatchObject({ cardNo: after.cardNo, balance: 3, records: { totalCount: 1, nodes: [{ id: rec.id, status: 'APPROVED' }] }, privileges: [] });
  });

  it('refuses the same person performing two steps of one record', async () => {
    const r = await projectedResident(city, VILLAGE);
    const both = await city.token(['VILLAGE_REGISTRAR', 'VILLAGE_REVIEWER'], { sub: `clerk-${randomUUID()}`, division: VILLAGE });
    const rec = ok(await register(city, both, r.id, 'HELP_NEIGHBOUR', '2026-03-02')).registerCivicRecord;
    expect(codes(await review(city, both, rec.id))).toEqual(['FORBIDDEN']);
    const status = ok(await city.query(`query($id: ID!) { civicRecord(id: $id) { status reviewedBy } }`, { id: rec.id }, admin)).civicRecord;
    expect(status).toEqual({ status: 'REGISTERED', reviewedBy: null });
  });

  it('pauses approval while an objection from the village holds, until a reviewer rules and the days left have run', async () => {
    const r = await projectedResident(city, VILLAGE);
    const neighbour = await projectedResident(city, VILLAGE);
    const outsider = await projectedResident(city, '441900003002');
    const c = await clerks(city, VILLAGE);
    const rec = ok(await register(city, c.registrar, r.id, 'ELDERLY_CARE', '2026-03-05')).registerCivicRecord;
    ok(await review(city, c.reviewer, rec.id));
    ok(await publicise(city, c.clerk, rec.id));

    expect(codes(await object(city, await city.token('RESIDENT', { sub: outsider.id }), rec.id))).toEqual(['FORBIDDEN']);
    expect(ok(await object(city, await city.token('RESIDENT', { sub: neighbour.id }), rec.id)).objectToCivicRecord.status).toBe('OBJECTED');
    clock.advance(6 * DAY);
    expect(codes(await approve(city, c.townReviewer, rec.id))).toEqual(['INVALID_STATE']);
    expect((await card(r.id)).balance).toBe(0);

    expect(ok(await review(city, c.reviewer, rec.id)).reviewCivicRecord.status).toBe('PUBLICISED');
    // the objection came as the window opened: its five days run again from the dismissal
    expect(codes(await approve(city, c.townReviewer, rec.id))).toEqual(['INVALID_STATE']);
    clock.advance(5 * DAY);
    expect(ok(await approve(city, c.townReviewer, rec.id)).approveCivicRecord).toMatchObject({ status: 'APPROVED', creditedPoints: 5 });
    expect((await card(r.id)).balance).toBe(5);
  });

  it("clips the posted points to what the item's monthly cap leaves, keeping the requested points on the record", async () => {
    ok(await city.query(`mutation { setPublicityWindow(divisionCode: "${TOWN}", days: 0) }`, {}, await city.token('TOWN_OFFICIAL', { division: TOWN })));
    const r = await projectedResident(city, VILLAGE);
    const c = await clerks(city, VILLAGE);
    const credited: number[] = [];
    for (let i = 0; i < 3; i++) {
      const rec = ok(await register(city, c.registrar, r.id, 'FAMILY_MEDIATION', '2026-03-01')).registerCivicRecord;
      ok(await review(city, c.reviewer, rec.id));
      ok(await publicise(city, c.clerk, rec.id));
      const done = ok(await approve(city, c.townReviewer, rec.id)).approveCivicRecord;
      expect(done.points).toBe(3);
      credited.push(done.creditedPoints);
      if (i === 2) expect(done.breakdown.lines.map((l: { rule: string }) => l.rule)).toEqual(['ITEM_POINTS']);
    }
    expect(credited).toEqual([3, 3, 3]);
    const fourth = ok(await register(city, c.registrar, r.id, 'FAMILY_MEDIATION', '2026-03-03')).registerCivicRecord;
    ok(await review(city, c.reviewer, fourth.id));
    ok(await publicise(city, c.clerk, fourth.id));
    const capped = ok(await approve(city, c.townReviewer, fourth.id)).approveCivicRecord;
    expect(capped).toMatchObject({ points: 3, creditedPoints: 0, status: 'APPROVED' });
    expect(capped.breakdown.lines.map((l: { rule: string }) => l.rule)).toEqual(['ITEM_POINTS', 'MONTHLY_CAP']);
    expect((await card(r.id)).balance).toBe(9);
    ok(await city.query(`mutation { setPublicityWindow(divisionCode: "${TOWN}", days: 5) }`, {}, await city.token('TOWN_OFFICIAL', { division: TOWN })));
  });

  it('keeps clerks to their division, refuses unknown residents, bad windows and bad items', async () => {
    const r = await projectedResident(city, VILLAGE);
    const elsewhere = await clerks(city, '441900121001');
    expect(codes(await register(city, elsewhere.registrar, r.id, 'HELP_NEIGHBOUR', '2026-03-01'))).toEqual(['FORBIDDEN']);
    const c = await clerks(city, VILLAGE);
    expect(codes(await register(city, c.registrar, randomUUID(), 'HELP_NEIGHBOUR', '2026-03-01'))).toEqual(['NOT_FOUND']);
    expect(codes(await register(city, c.registrar, r.id, 'NO_SUCH_ITEM', '2026-03-01'))).toEqual(['NOT_FOUND']);
    expect(codes(await register(city, c.registrar, r.id, 'HELP_NEIGHBOUR', '2099-01-01'))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await city.query(`query($id: ID!) { civicCard(residentId: $id) { cardNo } }`, { id: randomUUID() }, admin))).toEqual(['NOT_FOUND']);
    const official = await city.token('TOWN_OFFICIAL', { division: TOWN });
    expect(codes(await city.query(`mutation { setPublicityWindow(divisionCode: "${TOWN}", days: 16) }`, {}, official))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await city.query(`mutation { setPublicityWindow(divisionCode: "441900121", days: 3) }`, {}, official))).toEqual(['FORBIDDEN']);
    const bad = await city.query(`mutation { defineBehaviourItem(input: { code: "LOUD_MUSIC", label: "深夜噪音", category: "PUBLIC_PLACE_INCIVILITY", points: 5, divisionCode: "${TOWN}" }) { code } }`, {}, official);
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    // a category named after an Object.prototype member is no category
    for (const category of ['valueOf', 'constructor', '__proto__']) {
      const odd = await city.query(`mutation($c: String!) { defineBehaviourItem(input: { code: "ODD_ITEM", label: "奇怪", category: $c, points: -1, divisionCode: "${TOWN}" }) { code } }`, { c: category }, official);
      expect(codes(odd)).toEqual(['BAD_USER_INPUT']);
    }
    const item = ok(await city.query(`mutation { defineBehaviourItem(input: { code: "LOUD_MUSIC", label: "深夜噪音", category: "PUBLIC_PLACE_INCIVILITY", points: -4, monthlyCap: 8, divisionCode: "${TOWN}" }) { code points monthlyCap divisionCode passbook } }`, {}, official));
    expect(item.defineBehaviourItem).toEqual({ code: 'LOUD_MUSIC', points: -4, monthlyCap: 8, divisionCode: TOWN, passbook: 'CIVIC' });
    const list = ok(await city.query(`{ behaviourItems(divisionCode: "${VILLAGE}") { code category } }`, {}, official)).behaviourItems;
    expect(list.map((i: { code: string }) => i.code)).toEqual(expect.arrayContaining(['LOUD_MUSIC', 'HELP_NEIGHBOUR', 'BRAVE_RESCUE', 'RED_SANCTION']));
  });

  it('shows cards to their resident and to officials of the division only, and resolves several in one request', async () => {
    const a = await projectedResident(city, VILLAGE);
    const b = await projectedResident(city, VILLAGE);
    const q = `query($a: ID!, $b: ID!) { a: resident(id: $a) { civicCard { cardNo balance } } b: resident(id: $b) { civicCard { cardNo balance } } }`;
    const both = ok(await city.query(q, { a: a.id, b: b.id }, await city.token('VILLAGE_REVIEWER', { division: VILLAGE })));
    expect(both.a.civicCard.cardNo).toMatch(/^4419[0-9]{12}$/);
    expect(both.b.civicCard.cardNo).not.toBe(both.a.civicCard.cardNo);
    expect(ok(await city.query(q, { a: a.id, b: b.id }, admin))).toEqual(both);
    const c = await projectedResident(city, VILLAGE);
    expect(codes(await city.query(`query($id: ID!) { civicCard(residentId: $id) { cardNo } }`, { id: c.id }, await city.token('RESIDENT', { sub: a.id })))).toEqual(['FORBIDDEN']);
    expect(await city.instances.civic.dataSource.query(`SELECT card_no FROM civic.cards WHERE resident_id = $1`, [c.id])).toEqual([]);
    expect(codes(await city.query(`query($id: ID!) { civicCard(residentId: $id) { cardNo } }`, { id: b.id }, await city.token('RESIDENT', { sub: a.id })))).toEqual(['FORBIDDEN']);
    expect(codes(await city.query(`query($id: ID!) { civicCard(residentId: $id) { cardNo } }`, { id: b.id }, await city.token('TOWN_OFFICIAL', { division: '441900121' })))).toEqual(['FORBIDDEN']);
    const analyst = await city.token('DEPARTMENT_ANALYST', { sub: 'analyst-9', department: 'CIVILISATION_OFFICE', purpose: 'evaluation' });
    ok(await city.query(`query($id: ID!) { civicCard(residentId: $id) { balance } }`, { id: b.id }, analyst));
    const audit = await city.instances.civic.dataSource.query(`SELECT actor, subject_id FROM civic.audit_log WHERE subject_id = $1`, [b.id]);
    expect(audit).toEqual([{ actor: 'analyst-9', subject_id: b.id }]);
  });

  it('credits recyclables by weight and market price, and one sorting inspection a month, to the green passbook', async () => {
    const r = await projectedResident(city, VILLAGE);
    const c = await clerks(city, VILLAGE);
    const key = randomUUID();
    const credit = `mutation($r: ID!, $k: String!, $g: Int!) { creditRecyclables(residentId: $r, material: "PAPER", grams: $g, idempotencyKey: $k) { kind balance lifetimeEarned } }`;
    expect(ok(await city.query(credit, { r: r.id, k: key, g: 2500 }, c.registrar)).creditRecyclables).toEqual({ kind: 'GREEN', balance: 3, lifetimeEarned: 3 });
    expect(ok(await city.query(credit, { r: r.id, k: key, g: 2500 }, c.registrar)).creditRecyclables.balance).toBe(3);
    expect(codes(await city.query(credit, { r: r.id, k: key, g: 5000 }, c.registrar))).toEqual(['CONFLICT']);
    const inspect = `mutation($r: ID!, $s: Int!) { recordSortingInspection(residentId: $r, month: "2026-03", score: $s) { balance } }`;
    expect(codes(await city.query(inspect, { r: r.id, s: 11 }, c.reviewer))).toEqual(['BAD_USER_INPUT']);
    expect(ok(await city.query(inspect, { r: r.id, s: 8 }, c.reviewer)).recordSortingInspection.balance).toBe(11);
    expect(ok(await city.query(inspect, { r: r.id, s: 8 }, c.reviewer)).recordSortingInspection.balance).toBe(11);
    expect(codes(await city.query(inspect, { r: r.id, s: 9 }, c.reviewer))).toEqual(['CONFLICT']);
  });

  it('takes privilege thresholds from the published rules, and a new version applies from its day on', async () => {
    const r = await projectedResident(city, VILLAGE);
    const c = await clerks(city, VILLAGE);
    ok(await city.query(`mutation { setPublicityWindow(divisionCode: "${TOWN}", days: 0) }`, {}, await city.token('TOWN_OFFICIAL', { division: TOWN })));
    const rec = ok(await register(city, c.registrar, r.id, 'BLOOD_DONATION', '2026-03-10')).registerCivicRecord;
    ok(await review(city, c.reviewer, rec.id));
    ok(await publicise(city, c.clerk, rec.id));
    expect(ok(await approve(city, c.townReviewer, rec.id)).approveCivicRecord.breakdown.rulesVersion).toBe(1);
    const token = await city.token('RESIDENT', { sub: r.id });
    expect(ok(await city.query(`{ myCivicCard { balance privileges } }`, {}, token)).myCivicCard).toEqual({ balance: 20, privileges: [] });

    const current = ok(await city.query(`{ civicRules { version definition } }`, {}, admin)).civicRules;
    const definition = { ...current.definition, privileges: [{ flag: 'PRIORITY_EMPLOYMENT_SERVICES', minBalance: 20 }] };
    const today = new Date(clock.now().getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
    expect(codes(await city.query(`mutation($d: JSON!, $f: Date!) { publishCivicRules(definition: $d, effectiveFrom: $f) { version } }`, { d: { ...definition, starsPerTown: 0 }, f: today }, admin))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await city.query(`mutation($d: JSON!, $f: Date!) { publishCivicRules(definition: $d, effectiveFrom: $f) { version } }`, { d: definition, f: today }, await city.token('TOWN_OFFICIAL', { division: TOWN })))).toEqual(['FORBIDDEN']);
    const published = ok(await city.query(`mutation($d: JSON!, $f: Date!) { publishCivicRules(definition: $d, effectiveFrom: $f) { version } }`, { d: definition, f: today }, admin)).publishCivicRules;
    expect(published.version).toBe(current.version + 1);
    expect(ok(await city.query(`{ myCivicCard { privileges } }`, {}, token)).myCivicCard.privileges).toEqual(['PRIORITY_EMPLOYMENT_SERVICES']);
    ok(await city.query(`mutation($d: JSON!, $f: Date!) { publishCivicRules(definition: $d, effectiveFrom: $f) { version } }`, { d: current.definition, f: today }, admin));
    const history = ok(await city.query(`{ civicRuleHistory { version effectiveFrom definition } }`, {}, admin)).civicRuleHistory;
    expect(history.map((v: { version: number; effectiveFrom: string }) => [v.version, v.effectiveFrom])).toEqual([[current.version + 2, today], [current.version + 1, today], [1, '2000-01-01']]);
    expect(history[1].definition.privileges).toEqual([{ flag: 'PRIORITY_EMPLOYMENT_SERVICES', minBalance: 20 }]);
    ok(await city.query(`mutation { setPublicityWindow(divisionCode: "${TOWN}", days: 5) }`, {}, await city.token('TOWN_OFFICIAL', { division: TOWN })));
  });

  it("follows registry's events: a resident who moves is in the new village's hands", async () => {
    const r = await projectedResident(city, VILLAGE);
    ok(await city.query(`mutation($id: ID!) { updateResident(id: $id, input: { divisionCode: "441900003002", householdId: "H-9" }) { id } }`, { id: r.id }, admin));
    const ds = city.instances.civic.dataSource;
    await eventually(async () => (await ds.query(`SELECT 1 FROM civic.residents WHERE id = $1 AND division_code = '441900003002' AND household_id = 'H-9'`, [r.id])).length > 0);
    expect(codes(await register(city, (await clerks(city, VILLAGE)).registrar, r.id, 'HELP_NEIGHBOUR', '2026-03-01'))).toEqual(['FORBIDDEN']);
    expect(ok(await register(city, (await clerks(city, '441900003002')).registrar, r.id, 'HELP_NEIGHBOUR', '2026-03-01')).registerCivicRecord.status).toBe('REGISTERED');
    const official = await city.token('TOWN_OFFICIAL', { division: TOWN });
    const tooMuch = await city.query(`mutation { defineBehaviourItem(input: { code: "RED_FLOOD_DUTY", label: "防汛值守", category: "RED_BONUS", points: 4, divisionCode: "${TOWN}" }) { code } }`, {}, official);
    expect(codes(tooMuch)).toEqual(['BAD_USER_INPUT']);
  });

  it('registers once for concurrent retries of a key, and concurrent approvals share the monthly cap', async () => {
    const official = await city.token('TOWN_OFFICIAL', { division: TOWN });
    ok(await city.query(`mutation { defineBehaviourItem(input: { code: "STREET_SWEEPING", label: "义务清扫街巷", category: "PUBLIC_WELFARE", points: 3, monthlyCap: 4, divisionCode: "${TOWN}" }) { code } }`, {}, official));
    ok(await city.query(`mutation { setPublicityWindow(divisionCode: "${TOWN}", days: 0) }`, {}, official));
    const r = await projectedResident(city, VILLAGE);
    const c = await clerks(city, VILLAGE);
    const key = randomUUID();
    const same = await Promise.all(Array.from({ length: 10 }, () => register(city, c.registrar, r.id, 'STREET_SWEEPING', '2026-03-04', key)));
    expect(new Set(same.map((x) => ok(x).registerCivicRecord.id)).size).toBe(1);
    const first = ok(same[0]).registerCivicRecord;
    const second = ok(await register(city, c.registrar, r.id, 'STREET_SWEEPING', '2026-03-05')).registerCivicRecord;
    for (const rec of [first, second]) {
      ok(await review(city, c.reviewer, rec.id));
      ok(await publicise(city, c.clerk, rec.id));
    }
    const otherReviewer = await city.token('TOWN_REVIEWER', { sub: `town-reviewer-${randomUUID()}`, division: TOWN });
    const [a, b] = await Promise.all([approve(city, c.townReviewer, first.id), approve(city, otherReviewer, second.id)]);
    const credited = [ok(a).approveCivicRecord.creditedPoints, ok(b).approveCivicRecord.creditedPoints].sort();
    expect(credited).toEqual([1, 3]);
    expect((await card(r.id)).balance).toBe(4);
    ok(await city.query(`mutation { setPublicityWindow(divisionCode: "${TOWN}", days: 5) }`, {}, official));
  });

  it('keeps the ledger sound', async () => {
    const m = city.instances.civic.dataSource.manager;
    expect(await new Ledger({ schema: 'civic' }).checkInvariants(m)).toEqual([]);
  });
});
