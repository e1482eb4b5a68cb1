import { codes, genIdNumber, genUscc, ok, residentInput, seed, startCity, withWrongCheck, type TestCity } from '@citypoints/test-city';
import { registry } from '@citypoints/registry';

describe('registry through the gateway', () => {
  let city: TestCity;
  let admin: string;
  beforeAll(async () => {
    city = await startCity({ modules: [registry] });
    admin = await city.token('CITY_ADMIN', { sub: 'admin-1' });
  });
  afterAll(() => city.close());

  const countResidents = async () => Number((await city.instances.registry.dataSource.query('SELECT count(*) AS n FROM registry.residents'))[0].n);

  it('creates a village, registers residents, enterprises and a chamber with members, and reads them back', async () => {
    const created = ok(
      await city.query(`mutation { createDivision(input: { code: "441900003901", name: "测试社区", level: VILLAGE, parentCode: "441900003" }) { code level parent { code name level parent { code } } } }`, {}, admin),
    );
    expect(created.createDivision).toEqual({ code: '441900003901', level: 'VILLAGE', parent: { code: '441900003', name: '东城街道', level: 'TOWN', parent: { code: '441900' } } });

    const idNumber = genIdNumber({ birthDate: '1985-07-20' });
    const r = ok(
      await city.query(
        `mutation($i: RegisterResidentInput!) { registerResident(input: $i) { id name idNumberMasked birthDate hukou householdId division { code name } } }`,
        { i: { idNumber, name: '张三明', hukou: 'MIGRANT', divisionCode: '441900003901', householdId: 'H-1' } },
        admin,
      ),
    ).registerResident;
    expect(r).toMatchObject({ name: '张三明', birthDate: '1985-07-20', hukou: 'MIGRANT', householdId: 'H-1', division: { code: '441900003901', name: '测试社区' } });
    expect(r.idNumberMasked).toBe(idNumber.slice(0, 6) + '********' + idNumber.slice(14));

    const s = seed(city);
    const e1 = await s.enterprise({ divisionCode: '441900121' });
    const e2 = await s.enterprise();
    const org = await s.organisation({ members: [e1.uscc, e2.uscc] });
    const read = ok(
      await city.query(
        `query($o: ID!, $id: ID!, $idn: String!) {
          socialOrganisation(uscc: $o) { uscc kind division { code } members { uscc name division { code name } } }
          resident(id: $id) { id name }
          residentByIdNumber(idNumber: $idn) { id }
          divisions(parentCode: "441900") { code }
        }`,
        { o: org.uscc, id: r.id, idn: idNumber },
        admin,
      ),
    );
    expect(read.socialOrganisation.members.map((m: { uscc: string }) => m.uscc).sort()).toEqual([e1.uscc, e2.uscc].sort());
    expect(read.socialOrganisation.members.find((m: { uscc: string }) => m.uscc === e1.uscc).division).toEqual({ code: '441900121', name: '虎门镇' });
    expect(read.residentByIdNumber.id).toBe(r.id);
    expect(read.divisions.length).toBeGreaterThanOrEqual(32);
  });

  it('refuses a wrong ID-number check digit with BAD_USER_INPUT and writes nothing', async () => {
    const before = await countResidents();
    const res = await city.query(`mutation($i: RegisterResidentInput!) { registerResident(input: $i) { id } }`, { i: residentInput({ idNumber: withWrongCheck(genIdNumber()) }) }, admin);
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(await countResidents()).toBe(before);
  });

  it('refuses a wrong USCC check character with BAD_USER_INPUT', async () => {
    const res = await city.query(`mutation { registerEnterprise(input: { uscc: "${withWrongCheck(genUscc(), '0123456789ABCDEFGH')}", name: "x公司", divisionCode: "441900003" }) { uscc } }`, {}, admin);
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses a duplicate with CONFLICT', async () => {
    const input = residentInput();
    ok(await city.query(`mutation($i: RegisterResidentInput!) { registerResident(input: $i) { id } }`, { i: input }, admin));
    const again = await city.query(`mutation($i: RegisterResidentInput!) { registerResident(input: $i) { id } }`, { i: { ...input, name: '别人' } }, admin);
    expect(codes(again)).toEqual(['CONFLICT']);
  });

  it('refuses a caller without a token with UNAUTHENTICATED, and a bad token likewise', async () => {
    expect(codes(await city.query(`{ division(code: "441900") { name } }`))).toEqual(['UNAUTHENTICATED']);
    const bad = await city.query(`{ division(code: "441900") { name } }`, {}, 'not-a-jwt');
    expect(codes(bad)).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses a forged caller header sent straight to a subgraph', async () => {
    const res = await fetch(city.servers.registry.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-citypoints-caller': 'eyJhbGciOiJub25lIn0.eyJjYWxsZXIiOnsic3ViIjoieCIsInJvbGVzIjpbIkNJVFlfQURNSU4iXX19.' },
      body: JSON.stringify({ query: '{ division(code: "441900") { name } }' }),
    });
    const body = (await res.json()) as { data?: unknown; errors: { extensions: { code: string } }[] };
    expect(body.data).toBeFalsy();
    expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const none = (await (await fetch(city.servers.registry.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ division(code: "441900") { name } }' }) })).json()) as { errors: { extensions: { code: string } }[] };
    expect(none.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it("forbids a town official reading another town's resident, and allows their own town's", async () => {
    const s = seed(city);
    const inHumen = await s.resident({ divisionCode: '441900121001' });
    const inDongcheng = await s.resident({ divisionCode: '441900003002' });
    const official = await city.token('TOWN_OFFICIAL', { division: '441900003' });
    const other = await city.query(`query($id: ID!) { resident(id: $id) { id name } }`, { id: inHumen.id }, official);
    expect(codes(other)).toEqual(['FORBIDDEN']);
    const own = ok(await city.query(`query($id: ID!) { resident(id: $id) { id name } }`, { id: inDongcheng.id }, official));
    expect(own.resident.name).toBe(inDongcheng.name);
  });

  it('shows a resident their own full name and others masked', async () => {
    const s = seed(city);
    const me = await s.resident({ name: '欧阳娜娜' });
    const neighbour = await s.resident({ name: '张三明' });
    const token = await city.token('RESIDENT', { sub: me.id });
    const d = ok(await city.query(`query($a: ID!, $b: ID!) { me: resident(id: $a) { name birthDate idNumberMasked } other: resident(id: $b) { name division { code } } }`, { a: me.id, b: neighbour.id }, token));
    expect(d.me.name).toBe('欧阳娜娜');
    expect(d.other.name).toBe('张*明');
    expect(d.other.division.code).toBe(neighbour.divisionCode);
    // another resident sees the masked name and the division, nothing more (docs/domain/09-access.md)
    for (const field of ['birthDate', 'idNumberMasked', 'hukou']) {
      const res = await city.query(`query($b: ID!) { resident(id: $b) { ${field} } }`, { b: neighbour.id }, token);
      expect(codes(res)).toEqual(['FORBIDDEN']);
    }
  });

  it("leaves an audit row for a department analyst's read of a resident", async () => {
    const r = await seed(city).resident();
    const analyst = await city.token('DEPARTMENT_ANALYST', { sub: 'analyst-7', department: 'EDUCATION', purpose: 'school-admission check' });
    ok(await city.query(`query($id: ID!) { resident(id: $id) { name } }`, { id: r.id }, analyst));
    const rows = await city.instances.registry.dataSource.query(`SELECT actor, department, purpose, subject_id FROM registry.audit_log WHERE subject_id = $1`, [r.id]);
    expect(rows).toEqual([{ actor: 'analyst-7', department: 'EDUCATION', purpose: 'school-admission check', subject_id: r.id }]);
  });

  it('publishes registrations through the outbox in the same transaction', async () => {
    const r = await seed(city).resident({ householdId: 'H-77' });
    const events = await city.instances.registry.dataSource.query(`SELECT topic, payload FROM registry.outbox WHERE aggregate_id = $1 ORDER BY created_at`, [r.id]);
    expect(events.map((e: { topic: string }) => e.topic)).toEqual(['registry.resident.registered']);
    expect(events[0].payload).toMatchObject({ id: r.id, householdId: 'H-77', divisionCode: r.divisionCode });
    expect(JSON.stringify(events[0].payload)).not.toContain(r.name);
  });

  it('limits query depth', async () => {
    const deep = `{ division(code: "441900003001") { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { code } } } } } } } } } } } } } }`;
    const res = await city.query(deep, {}, admin);
    expect(codes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(res.errors![0].message).toMatch(/depth 14 exceeds the limit of 12/);
  });
});

describe('registry changes', () => {
  let city: TestCity;
  beforeAll(async () => {
    city = await startCity({ modules: [registry], label: 'registry_changes' });
  });
  afterAll(() => city.close());

  it('moves a resident to another household and publishes changed, left and joined', async () => {
    const r = await seed(city).resident({ householdId: 'H-A' });
    const official = await city.token('TOWN_OFFICIAL', { division: '441900003' });
    const d = ok(await city.query(`mutation($id: ID!) { updateResident(id: $id, input: { householdId: "H-B", name: "李四" }) { id name householdId } }`, { id: r.id }, official));
    expect(d.updateResident).toEqual({ id: r.id, name: '李四', householdId: 'H-B' });
    const events = await city.instances.registry.dataSource.query(`SELECT topic, aggregate_id, payload FROM registry.outbox WHERE payload->>'id' = $1 OR payload->>'residentId' = $1 ORDER BY created_at, topic`, [r.id]);
    const byTopic = Object.fromEntries(events.map((e: { topic: string; payload: unknown }) => [e.topic, e.payload]));
    expect(byTopic['registry.resident.changed']).toMatchObject({ id: r.id, nameMasked: '李*', householdId: 'H-B', divisionCode: r.divisionCode });
    expect(byTopic['registry.household.left']).toEqual({ residentId: r.id, householdId: 'H-A' });
    expect(byTopic['registry.household.joined']).toEqual({ residentId: r.id, householdId: 'H-B' });
  });

  it("refuses an official moving a resident of another town", async () => {
    const r = await seed(city).resident({ divisionCode: '441900121001' });
    const official = await city.token('TOWN_OFFICIAL', { division: '441900003' });
    const res = await city.query(`mutation($id: ID!) { updateResident(id: $id, input: { name: "王五" }) { id } }`, { id: r.id }, official);
    expect(codes(res)).toEqual(['FORBIDDEN']);
  });
});
