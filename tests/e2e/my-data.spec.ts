import { randomUUID } from 'node:crypto';
import { CITY } from '../../infra/src/city';
import { HOUR } from '@citypoints/kit';
import { SERVICE_HEADER, signServiceCall } from '@citypoints/auth';
import { MY_DATA_PATH } from '@citypoints/federation';
import { codes, eventually, FixedClock, genIdNumber, ok, seed, startCity, TEST_SUBGRAPH_SECRET, type TestCity } from '@citypoints/test-city';

/**
 * A resident's own data (docs/my-data.md, the right of access of the Personal Information
 * Protection Law): `myData` through the gateway holds what every subgraph holds about the caller
 * and every audited read of it, and nothing of anyone else — here a housemate with distinctive
 * names and numbers who asked the caller for a service, received a gift from them, has their own
 * card, record and school application, and was read by the same department.
 */
describe('myData: a resident\'s own data through the gateway', () => {
  let city: TestCity;
  // inside the year's application window
  const clock = new FixedClock(new Date('2026-03-10T02:00:00Z'));
  beforeAll(async () => {
    city = await startCity({ modules: CITY, workers: true, clock, label: 'my_data' });
  }, 120_000);
  afterAll(() => city.close());

  const VILLAGE = '441900003001';
  const HOUSEHOLD = `HH-MYDATA-${randomUUID().slice(0, 8)}`;
  const MY_CHILD = { name: '王小达', idNumber: genIdNumber({ birthDate: '2020-05-06' }) };
  const THEIR_CHILD = { name: '欧阳小峰', idNumber: genIdNumber({ birthDate: '2020-07-08' }) };
  const THEIR_PURPOSE = 'housing subsidy check 欧阳';

  const MY_DATA = `{ myData }`;

  it('holds the caller\'s card, record, application, volunteer profile, points and the department\'s read of them, and nothing of their housemate', async () => {
    const s = seed(city);
    const admin = await city.token('CITY_ADMIN', { sub: 'my-data-admin' });
    const me = await s.resident({ name: '王明达', divisionCode: VILLAGE, householdId: HOUSEHOLD });
    const them = await s.resident({ name: '欧阳奇峰', divisionCode: VILLAGE, householdId: HOUSEHOLD });
    const mine = await city.token('RESIDENT', { sub: me.id });
    const theirs = await city.token('RESIDENT', { sub: them.id });
    // every subgraph learns of both through registry's events
    for (const id of [me.id, them.id]) {
      await eventually(async () => {
        const [v] = await city.instances.volunteering.dataSource.query(`SELECT count(*)::int AS n FROM volunteering.residents WHERE id = $1 AND household_id IS NOT NULL`, [id]);
        const [st] = await city.instances.settlement.dataSource.query(`SELECT count(*)::int AS n FROM settlement.residents WHERE id = $1`, [id]);
        return v.n === 1 && st.n === 1;
      }, 30_000);
    }
    const cardOf = async (token: string) => (await eventually(async () => (await city.query(`{ myCivicCard { cardNo } }`, {}, token)).data?.myCivicCard, 30_000)).cardNo as string;
    const myCard = await cardOf(mine);
    const theirCard = await cardOf(theirs);

    // a civic record each, registered by the village
    const registrar = await city.token('VILLAGE_REGISTRAR', { sub: `registrar-${randomUUID()}`, division: VILLAGE });
    const record = async (residentId: string) =>
      ok(await city.query(`mutation($i: RegisterCivicRecordInput!) { registerCivicRecord(input: $i) { id } }`, { i: { residentId, itemCode: 'BRAVE_RESCUE', occurredOn: '2026-01-05', idempotencyKey: randomUUID() } }, registrar)).registerCivicRecord.id as string;
    const myRecord = await record(me.id);
    const theirRecord = await record(them.id);

    // a school application each
    const school = ok(await city.query(`mutation($i: UpsertSchoolInput!) { upsertSchool(input: $i) { id } }`, { i: { name: '东城第一小学', townCode: '441900003', seats: [{ year: 2026, grade: 'PRIMARY_1', seats: 5 }] } }, admin)).upsertSchool.id;
    const apply = async (parentId: string, child: { name: string; idNumber: string }) =>
      ok(
        await city.query(`mutation($i: SubmitSchoolApplicationInput!) { submitSchoolApplication(input: $i) { applicationNo } }`, {
          i: { parentId, childName: child.name, childIdNumber: child.idNumber, year: 2026, grade: 'PRIMARY_1', townCode: '441900003', preferences: [school], indicators: [] },
        }, admin),
      ).submitSchoolApplication.applicationNo as string;
    // the caller's child is a resident too: settlement links the application to the child's records
    const myChild = await s.resident({ name: MY_CHILD.name, idNumber: MY_CHILD.idNumber, divisionCode: VILLAGE });
    const myApplication = await apply(me.id, MY_CHILD);
    const [linked] = await city.instances.settlement.dataSource.query(`SELECT child_resident_id FROM settlement.school_applications WHERE application_no = $1`, [myApplication]);
    expect(linked.child_resident_id).toBe(myChild.id);
    const theirApplication = await apply(them.id, THEIR_CHILD);

    // the caller volunteers for their housemate's need, earns 50 points and gives them 20 back
    ok(await city.query(`mutation($id: ID!) { registerVolunteer(residentId: $id, skills: ["陪护"]) { registered } }`, { id: me.id }, mine));
    const need = ok(
      await city.query(`mutation($i: PostNeedInput!) { postNeed(input: $i) { id } }`, {
        i: { category: 'MUTUAL_AID', title: '陪同就医', description: '欧阳奇峰 needs a lift to the clinic', divisionCode: VILLAGE, escrowPoints: 0, idempotencyKey: randomUUID(), windowStart: new Date(clock.now().getTime() + HOUR).toISOString(), windowEnd: new Date(clock.now().getTime() + 5 * HOUR).toISOString() },
      }, theirs),
    ).postNeed.id as string;
    const act = (token: string, m: string, vars: Record<string, unknown>, args = '') => city.query(`mutation($id: ID!${args}) { ${m} { id } }`, vars, token).then(ok);
    await act(mine, 'takeNeed(needId: $id, role: PRIMARY)', { id: need });
    await act(mine, 'startService(needId: $id)', { id: need });
    await act(mine, 'completeService(needId: $id, hours: $h)', { id: need, h: 5 }, ', $h: Float!');
    await act(theirs, 'confirmService(needId: $id, rating: 5)', { id: need });
    ok(await city.query(`mutation($to: ID!, $k: String!) { givePoints(toResidentId: $to, points: 20, idempotencyKey: $k) { points } }`, { to: them.id, k: randomUUID() }, mine));

    // the education bureau reads the caller for admission, and the housemate for something else
    const read = async (id: string, purpose: string) => {
      const analyst = await city.token('DEPARTMENT_ANALYST', { sub: 'edu-analyst-7731', department: 'EDUCATION', purpose });
      const r = ok(await city.query(`query($id: ID!) { resident(id: $id) { name settlement { schoolApplications { applicationNo } } civicCard { balance } volunteer { hours } } }`, { id }, analyst));
      expect(r.resident.settlement.schoolApplications).toHaveLength(1);
      expect(r.resident.civicCard).not.toBeNull();
      expect(r.resident.volunteer).not.toBeNull();
    };
    // the reads happen on the city's clock, which an audit row keeps (not the database's)
    clock.advance(7 * 60_000);
    const readAt = clock.now().getTime();
    await read(me.id, 'school admission review');
    await read(them.id, THEIR_PURPOSE);

    const d = ok(await city.query(MY_DATA, {}, mine)).myData;
    expect(d.unavailable).toEqual([]);
    expect(Date.parse(d.generatedAt)).not.toBeNaN();
    expect(d.resident).toMatchObject({ id: me.id, name: '王明达', idNumber: me.idNumber, hukou: 'MIGRANT', divisionCode: VILLAGE, householdId: HOUSEHOLD, otherHouseholdMembers: 1 });

    expect(d.civic.cards).toEqual([expect.objectContaining({ cardNo: myCard })]);
    expect(d.civic.records.map((r: { id: string }) => r.id)).toEqual([myRecord]);
    expect(d.civic.records[0]).toMatchObject({ itemCode: 'BRAVE_RESCUE', cardNo: myCard, occurredOn: '2026-01-05', status: 'REGISTERED' });
    expect(d.civic.records[0].steps).toEqual([expect.objectContaining({ step: 'REGISTER', decision: 'REGISTERED' })]);

    expect(d.settlement.schoolApplications).toHaveLength(1);
    expect(d.settlement.schoolApplications[0]).toMatchObject({ applicationNo: myApplication, childName: MY_CHILD.name, childIdNumber: MY_CHILD.idNumber });
    // the child's resident id is settlement's link to another resident's records, not the parent's data
    expect(JSON.stringify(d).includes(myChild.id)).toBe(false);

    expect(d.volunteering.volunteerProfile).toMatchObject({ skills: ['陪护'] });
    expect(d.volunteering.serviceHours).toEqual([expect.objectContaining({ needId: need, points: 50 })]);
    expect(d.volunteering.needsServed).toEqual([expect.objectContaining({ id: need, role: 'PRIMARY', title: '陪同就医' })]);
    expect(d.volunteering.needsServed[0].description).toBeUndefined();
    const [points] = d.volunteering.points;
    expect(points).toMatchObject({ kind: 'VOLUNTEER_POINTS', balance: 30 });
    const gift = points.postings.find((p: { transactionKind: string }) => p.transactionKind === 'GIFT');
    expect(gift).toMatchObject({ amount: -20, metadata: { from: me.id, to: 'another resident' }, counterparties: ['VOLUNTEER_POINTS'] });
    expect(points.lots.length).toBeGreaterThan(0);

    expect(d.enterpriseCredit.holds).toMatch(/nothing about residents/);
    expect(d.socialOrganisations.holds).toMatch(/nothing about residents/);

    // the department's read, in each subgraph that served it: which department, when, for what purpose
    const reads = d.reads as { subgraph: string; department: string; purpose: string; at: string; subjectType: string; operation: string; roles: string[] }[];
    for (const [subgraph, subjectType] of [['registry', 'Resident'], ['settlement', 'SchoolApplication'], ['civic', 'CivicCard'], ['volunteering', 'VolunteerProfile']]) {
      expect(reads).toContainEqual(expect.objectContaining({ subgraph, subjectType, department: 'EDUCATION', purpose: 'school admission review', roles: ['DEPARTMENT_ANALYST'], operation: 'read' }));
    }
    expect(reads.every((r) => r.purpose === 'school admission review' && !Number.isNaN(Date.parse(r.at)))).toBe(true);
    expect(reads.map((r) => ({ subgraph: r.subgraph, at: Date.parse(r.at) }))).toEqual(reads.map((r) => ({ subgraph: r.subgraph, at: readAt })));

    // nothing of the housemate, wherever one might look
    const json = JSON.stringify(d);
    for (const secret of [them.id, them.idNumber, them.name, theirCard, theirRecord, theirApplication, THEIR_CHILD.name, THEIR_CHILD.idNumber, THEIR_PURPOSE, 'edu-analyst-7731', '欧阳']) {
      expect({ secret, found: json.includes(secret) }).toEqual({ secret, found: false });
    }
    // the control: the same search finds the caller's own
    for (const own of [me.id, me.idNumber, me.name, myCard, myApplication, MY_CHILD.idNumber]) expect(json.includes(own)).toBe(true);

    // and the housemate's document holds their own, not the caller's
    const t = ok(await city.query(MY_DATA, {}, theirs)).myData;
    expect(t.resident.id).toBe(them.id);
    expect(t.settlement.schoolApplications.map((a: { applicationNo: string }) => a.applicationNo)).toEqual([theirApplication]);
    expect(t.volunteering.needsAsked).toEqual([expect.objectContaining({ id: need, volunteer: 'another resident' })]);
    const theirJson = JSON.stringify(t);
    for (const secret of [me.id, me.idNumber, me.name, myCard, myApplication, MY_CHILD.idNumber]) expect({ secret, found: theirJson.includes(secret) }).toEqual({ secret, found: false });
  }, 180_000);

  it('refuses every caller who is not a resident', async () => {
    const anonymous = await city.query(MY_DATA);
    expect(codes(anonymous)).toEqual(['UNAUTHENTICATED']);
    expect(anonymous.data?.myData ?? null).toBeNull();
    for (const [role, claims] of [
      ['CITY_ADMIN', {}],
      ['DEPARTMENT_ANALYST', { department: 'EDUCATION', purpose: 'curiosity' }],
      ['TOWN_OFFICIAL', { division: '441900003' }],
      ['MERCHANT', {}],
    ] as const) {
      const r = await city.query(MY_DATA, {}, await city.token(role, { sub: randomUUID(), ...claims }));
      expect({ role, codes: codes(r), data: r.data?.myData ?? null }).toEqual({ role, codes: ['FORBIDDEN'], data: null });
    }
    // a resident token whose subject is no resident of the register
    const stranger = await city.query(MY_DATA, {}, await city.token('RESIDENT', { sub: randomUUID() }));
    expect(codes(stranger)).toEqual(['NOT_FOUND']);
  });

  it('answers a subgraph\'s part only to registry\'s signed call, never to a caller from outside', async () => {
    const me = await seed(city).resident({ divisionCode: VILLAGE });
    const ask = async (headers: Record<string, string>, body: unknown = { residentId: me.id }) => {
      const res = await fetch(new URL(MY_DATA_PATH, city.servers.civic.url), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      return { status: res.status, body: await res.json() };
    };
    expect((await ask({})).status).toBe(401);
    expect((await ask({ [SERVICE_HEADER]: await signServiceCall('not-the-secret', 'registry') })).status).toBe(401);
    expect((await ask({ [SERVICE_HEADER]: await signServiceCall(TEST_SUBGRAPH_SECRET, 'settlement') })).status).toBe(403);
    const registry = { [SERVICE_HEADER]: await signServiceCall(TEST_SUBGRAPH_SECRET, 'registry') };
    expect((await ask(registry, { residentId: 'not-an-id' })).status).toBe(400);
    const answered = await ask(registry);
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ subgraph: 'civic', reads: [] });
    // and the gateway does not route to it
    const viaGateway = await fetch(new URL(MY_DATA_PATH, city.gatewayUrl), { method: 'POST', headers: { 'content-type': 'application/json', ...registry }, body: JSON.stringify({ residentId: me.id }) });
    expect(viaGateway.status).not.toBe(200);
  });

  it('names a subgraph that does not answer and still gives the rest', async () => {
    const me = await seed(city).resident({ divisionCode: VILLAGE });
    const mine = await city.token('RESIDENT', { sub: me.id });
    await eventually(async () => (await city.query(`{ myCivicCard { cardNo } }`, {}, mine)).data?.myCivicCard, 30_000);
    await city.stopSubgraph('volunteering');
    const d = ok(await city.query(MY_DATA, {}, mine)).myData;
    expect(d.unavailable).toEqual(['volunteering']);
    expect(d.volunteering).toBeUndefined();
    expect(d.resident.id).toBe(me.id);
    expect(d.civic.cards).toHaveLength(1);
    expect(d.settlement).toBeDefined();
  });
});
