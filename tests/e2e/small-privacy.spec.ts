import { registry } from '@citypoints/registry';
import { volunteering } from '@citypoints/volunteering';
import { socialOrganisations } from '@citypoints/social-organisations';
import { codes, eventually, genIdNumber, gql, ok, seed, startCity, type GraphQLResponse, type TestCity } from '@citypoints/test-city';

/**
 * docs/domain/09-access.md through the gateway, for registry, volunteering and social-organisations: who may
 * look a resident up by ID number, what another resident, a merchant, a feed or a regulator sees
 * of a resident, audited department reads of volunteer hours, and caller-scoped idempotency keys.
 */
describe('least privilege across registry, volunteering and social-organisations', () => {
  let city: TestCity;
  let admin: string;

  const BY_ID_NUMBER = `query($n: String!) { residentByIdNumber(idNumber: $n) { id name } }`;
  /** the error a refused caller sees, without the parts that differ per request */
  const refusal = (r: GraphQLResponse) => ({ data: r.data, errors: (r.errors ?? []).map((e) => ({ message: e.message, code: e.extensions?.code, path: e.path })) });

  beforeAll(async () => {
    city = await startCity({ modules: [registry, volunteering, socialOrganisations], workers: true, label: 'small_privacy' });
    admin = await city.token('CITY_ADMIN', { sub: 'admin-1' });
  });
  afterAll(() => city.close());

  it('refuses residentByIdNumber to residents, merchants, feeds and regulators with one identical error, whether the number exists or not', async () => {
    const r = await seed(city).resident({ divisionCode: '441900003001' });
    const unknown = genIdNumber();
    const callers = {
      resident: await city.token('RESIDENT', { sub: r.id }),
      otherResident: await city.token('RESIDENT'),
      merchant: await city.token('MERCHANT', { sub: 'merchant-1' }),
      feed: await city.token('DATA_FEED', { department: 'TAXATION' }),
      regulator: await city.token('REGULATOR', { division: '441900003' }),
    };
    for (const [who, token] of Object.entries(callers)) {
      const existing = await city.query(BY_ID_NUMBER, { n: r.idNumber }, token);
      const missing = await city.query(BY_ID_NUMBER, { n: unknown }, token);
      const malformed = await city.query(BY_ID_NUMBER, { n: '441900000000000000' }, token);
      expect({ who, codes: codes(existing) }).toEqual({ who, codes: ['FORBIDDEN'] });
      expect(refusal(missing)).toEqual(refusal(existing));
      expect(refusal(malformed)).toEqual(refusal(existing));
      expect(JSON.stringify(existing)).not.toContain(r.id);
    }
    // many aliased guesses in one request get nothing but refusals
    const guesses = Array.from({ length: 20 }, (_, i) => `g${i}: residentByIdNumber(idNumber: "${i === 7 ? r.idNumber : genIdNumber()}") { id }`).join(' ');
    const many = await city.query(`{ ${guesses} }`, {}, callers.merchant);
    expect(new Set(codes(many))).toEqual(new Set(['FORBIDDEN']));
    expect(Object.values(many.data ?? {}).every((v) => v === null)).toBe(true);
  });

  it('answers residentByIdNumber to the city, the town of the resident, its officers and an audited analyst', async () => {
    const r = await seed(city).resident({ divisionCode: '441900003001' });
    expect(ok(await city.query(BY_ID_NUMBER, { n: r.idNumber }, admin)).residentByIdNumber.id).toBe(r.id);
    const town = await city.token('TOWN_OFFICIAL', { division: '441900003' });
    expect(ok(await city.query(BY_ID_NUMBER, { n: r.idNumber }, town)).residentByIdNumber).toEqual({ id: r.id, name: r.name });
    const officer = await city.token('EDUCATION_OFFICER', { division: '441900003' });
    expect(ok(await city.query(BY_ID_NUMBER, { n: r.idNumber }, officer)).residentByIdNumber.id).toBe(r.id);
    // another town's official learns nothing about a number outside their reach
    const otherTown = await city.token('TOWN_OFFICIAL', { division: '441900121' });
    expect(ok(await city.query(BY_ID_NUMBER, { n: r.idNumber }, otherTown)).residentByIdNumber).toBeNull();
    expect(ok(await city.query(BY_ID_NUMBER, { n: genIdNumber() }, otherTown)).residentByIdNumber).toBeNull();

    const analyst = await city.token('DEPARTMENT_ANALYST', { sub: 'analyst-3', department: 'EDUCATION', purpose: 'school admission 2027' });
    expect(ok(await city.query(BY_ID_NUMBER, { n: r.idNumber }, analyst)).residentByIdNumber.id).toBe(r.id);
    const audit = await city.instances.registry.dataSource.query(`SELECT actor, department, purpose, action FROM registry.audit_log WHERE subject_id = $1`, [r.id]);
    expect(audit).toEqual([{ actor: 'analyst-3', department: 'EDUCATION', purpose: 'school admission 2027', action: 'read-by-id-number' }]);
  });

  it('shows a merchant, a feed and a regulator at most the masked name and the division of a resident', async () => {
    const r = await seed(city).resident({ name: '张三明', divisionCode: '441900003001', householdId: 'H-PRIV-1' });
    const outsiders = [
      await city.token('MERCHANT', { sub: 'merchant-2' }),
      await city.token('DATA_FEED', { department: 'HUMAN_RESOURCES' }),
      await city.token('REGULATOR', { division: '441900003' }),
      await city.token('RESIDENT'),
    ];
    for (const token of outsiders) {
      const d = ok(await city.query(`query($id: ID!) { resident(id: $id) { id name householdId division { code } } }`, { id: r.id }, token));
      expect(d.resident).toEqual({ id: r.id, name: '张*明', householdId: null, division: { code: '441900003001' } });
      for (const field of ['idNumberMasked', 'hukou', 'birthDate']) {
        expect(codes(await city.query(`query($id: ID!) { resident(id: $id) { ${field} } }`, { id: r.id }, token))).toEqual(['FORBIDDEN']);
      }
    }
    // the officers of the division see the name, not the household; the town official sees it all
    const reviewer = await city.token('VILLAGE_REVIEWER', { division: '441900003001' });
    expect(ok(await city.query(`query($id: ID!) { resident(id: $id) { name hukou householdId } }`, { id: r.id }, reviewer)).resident).toEqual({ name: '张三明', hukou: 'MIGRANT', householdId: null });
    const town = await city.token('TOWN_OFFICIAL', { division: '441900003' });
    expect(ok(await city.query(`query($id: ID!) { resident(id: $id) { name householdId } }`, { id: r.id }, town)).resident).toEqual({ name: '张三明', householdId: 'H-PRIV-1' });
  });

  it("leaves an audit row with the token's purpose when a department reads a volunteer's hours, and refuses outsiders before any lookup", async () => {
    const r = await seed(city).resident({ divisionCode: '441900003001' });
    await eventually(async () => (await city.instances.volunteering.dataSource.query(`SELECT 1 FROM volunteering.residents WHERE id = $1 AND division_code IS NOT NULL`, [r.id])).length > 0);
    const town = await city.token('TOWN_OFFICIAL', { sub: 'official-1', division: '441900003' });
    ok(await city.query(`mutation($id: ID!) { registerVolunteer(residentId: $id) { registered } }`, { id: r.id }, town));
    ok(await city.query(`mutation($id: ID!) { recordAdministratorHours(residentId: $id, hours: 12, idempotencyKey: "paper-2025") { hours } }`, { id: r.id }, town));

    const HOURS = `query($id: ID!) { volunteerHours(residentId: $id) { creditedHours source } }`;
    const analyst = await city.token('DEPARTMENT_ANALYST', { sub: 'analyst-8', department: 'CIVIL_AFFAIRS', purpose: 'volunteer star review' });
    // a purpose sent as a header is not the token's and does not replace it
    const read = await gql(city.gatewayUrl, HOURS, { id: r.id }, analyst, { 'x-purpose': 'something else' });
    expect(ok(read).volunteerHours).toEqual([{ creditedHours: 12, source: 'ADMINISTRATOR' }]);
    const audit = await city.instances.volunteering.dataSource.query(
      `SELECT actor, department, purpose, action, subject_type FROM volunteering.audit_log WHERE subject_id = $1 AND subject_type = 'VolunteerHours'`,
      [r.id],
    );
    expect(audit).toEqual([{ actor: 'analyst-8', department: 'CIVIL_AFFAIRS', purpose: 'volunteer star review', action: 'read', subject_type: 'VolunteerHours' }]);
    // the resident reading their own hours is not a department read
    ok(await city.query(HOURS, { id: r.id }, await city.token('RESIDENT', { sub: r.id })));
    const [{ n }] = await city.instances.volunteering.dataSource.query(`SELECT count(*)::int AS n FROM volunteering.audit_log WHERE subject_id = $1`, [r.id]);
    expect(n).toBe(1);

    for (const token of [await city.token('MERCHANT'), await city.token('DATA_FEED', { department: 'TAXATION' }), await city.token('REGULATOR', { division: '441900003' }), await city.token('RESIDENT')]) {
      const existing = await city.query(HOURS, { id: r.id }, token);
      const missing = await city.query(HOURS, { id: '00000000-0000-4000-8000-000000000000' }, token);
      expect(codes(existing)).toEqual(['FORBIDDEN']);
      expect(refusal(missing)).toEqual(refusal(existing));
    }
  });

  it("scopes administrator-hours keys to the official: another official's equal key records its own hours", async () => {
    const r = await seed(city).resident({ divisionCode: '441900003001' });
    await eventually(async () => (await city.instances.volunteering.dataSource.query(`SELECT 1 FROM volunteering.residents WHERE id = $1 AND division_code IS NOT NULL`, [r.id])).length > 0);
    const a = await city.token('TOWN_OFFICIAL', { sub: 'official-a', division: '441900003' });
    const b = await city.token('TOWN_OFFICIAL', { sub: 'official-b', division: '441900003' });
    const record = (token: string, hours: number) =>
      city.query(`mutation($id: ID!, $h: Float!) { recordAdministratorHours(residentId: $id, hours: $h, idempotencyKey: "shared-key") { hours } }`, { id: r.id, h: hours }, token);
    expect(ok(await record(a, 5)).recordAdministratorHours.hours).toBe(5);
    expect(ok(await record(a, 5)).recordAdministratorHours.hours).toBe(5);
    expect(ok(await record(b, 7)).recordAdministratorHours.hours).toBe(12);
    expect(codes(await record(a, 6))).toEqual(['CONFLICT']);
    // a replay is authorised like a first request: an official of another town is refused
    const elsewhere = await city.token('TOWN_OFFICIAL', { sub: 'official-a', division: '441900121' });
    expect(codes(await record(elsewhere, 5))).toEqual(['FORBIDDEN']);
  });

  it("scopes indicator keys to the caller and refuses another department's feed the gradings", async () => {
    const org = await seed(city).organisation({ divisionCode: '441900003' });
    await eventually(async () => (await city.instances['social-organisations'].dataSource.query(`SELECT 1 FROM social_organisations.organisations WHERE uscc = $1 AND name IS NOT NULL`, [org.uscc])).length > 0);
    const civil = await city.token('DATA_FEED', { sub: 'civil-1', department: 'CIVIL_AFFAIRS' });
    const town = await city.token('TOWN_OFFICIAL', { sub: 'town-1', division: '441900003' });
    const RECORD = `mutation($i: OrganisationIndicatorInput!) { recordOrganisationIndicator(input: $i) { points } }`;
    const i = { uscc: org.uscc, year: 2030, category: 'BASIC_WORK', points: 10, idempotencyKey: 'report-2030' };
    expect(ok(await city.query(RECORD, { i }, civil)).recordOrganisationIndicator.points).toBe(10);
    // the town's equal key is its own record, not a replay of civil affairs'
    expect(ok(await city.query(RECORD, { i }, town)).recordOrganisationIndicator.points).toBe(20);
    expect(ok(await city.query(RECORD, { i }, town)).recordOrganisationIndicator.points).toBe(20);

    const tax = await city.token('DATA_FEED', { department: 'TAXATION' });
    expect(codes(await city.query(`query($o: ID!) { socialOrganisation(uscc: $o) { grading(year: 2030) { points } } }`, { o: org.uscc }, tax))).toEqual(['FORBIDDEN']);
    expect(codes(await city.query(`{ organisationRanking(year: 2030) { uscc } }`, {}, tax))).toEqual(['FORBIDDEN']);
    expect(ok(await city.query(`{ organisationRanking(year: 2030) { uscc } }`, {}, civil)).organisationRanking.map((o: { uscc: string }) => o.uscc)).toContain(org.uscc);
  });
});
