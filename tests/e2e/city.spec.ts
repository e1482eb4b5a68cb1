import { CITY } from '../../infra/src/city';
import { eventually, ok, seed, startCity, type TestCity } from '@citypoints/test-city';

/** A department's cross-domain view through one supergraph, over all six subgraphs. */
describe('the whole city through the gateway', () => {
  let city: TestCity;
  beforeAll(async () => {
    city = await startCity({ modules: CITY, workers: true, label: 'city' });
  });
  afterAll(() => city.close());

  it('answers a department analyst with every domain of a resident and an enterprise, and audits the read', async () => {
    const s = seed(city);
    const resident = await s.resident({ name: '陈志明', divisionCode: '441900121001' });
    const enterprise = await s.enterprise({ divisionCode: '441900121' });
    const org = await s.organisation({ members: [enterprise.uscc], divisionCode: '441900121' });
    const analyst = await city.token('DEPARTMENT_ANALYST', { sub: 'hr-bureau-analyst', department: 'HUMAN_RESOURCES', purpose: 'talent service review' });

    const query = `query($id: ID!, $uscc: ID!, $org: ID!) {
      resident(id: $id) {
        name division { name parent { name } }
        settlement { schoolApplications { applicationNo } householdApplications { applicationNo } talentCard { cardNo } }
        civicCard { balance passbooks { kind balance } }
        volunteer { hours points stars }
      }
      enterprise(uscc: $uscc) { name credit { status restrictions } labourRisk { level } }
      socialOrganisation(uscc: $org) { name members { uscc } grading { grade } }
      creditCheck(uscc: $uscc, domain: GOVERNMENT_PROCUREMENT) { allowed status }
    }`;
    // each subgraph learns of the new resident and enterprise through registry's events
    const d = await eventually(async () => {
      const r = await city.query(query, { id: resident.id, uscc: enterprise.uscc, org: org.uscc }, analyst);
      const known = r.data?.resident?.settlement && r.data.resident.civicCard && r.data.resident.volunteer && r.data.enterprise?.labourRisk !== undefined;
      return r.errors?.length || !known ? null : r.data;
    }, 30_000);
    expect(d!.resident).toMatchObject({
      name: '陈志明',
      division: { name: '白沙社区', parent: { name: '虎门镇' } },
      settlement: { schoolApplications: [], householdApplications: [], talentCard: null },
      civicCard: { balance: 0 },
      volunteer: { hours: 0, points: 0, stars: 0 },
    });
    expect(d!.enterprise).toMatchObject({ name: enterprise.name, credit: { status: 'NORMAL', restrictions: [] } });
    expect(d!.creditCheck).toEqual({ allowed: true, status: 'NORMAL' });
    expect(d!.socialOrganisation.members).toEqual([{ uscc: enterprise.uscc }]);

    const audit = await city.instances.registry.dataSource.query(`SELECT actor, department, purpose FROM registry.audit_log WHERE subject_id = $1`, [resident.id]);
    expect(audit.length).toBeGreaterThan(0);
    expect(audit[0]).toEqual({ actor: 'hr-bureau-analyst', department: 'HUMAN_RESOURCES', purpose: 'talent service review' });
  });

  it('shows a resident their own domains and refuses another resident\'s card', async () => {
    const s = seed(city);
    const me = await s.resident();
    const other = await s.resident();
    const token = await city.token('RESIDENT', { sub: me.id });
    const mine = await eventually(async () => {
      const r = await city.query(`{ myCivicCard { balance resident { id name } } myVolunteerProfile { hours } mySchoolApplications { applicationNo } }`, {}, token);
      return r.errors?.length || !r.data?.myCivicCard || !r.data.myVolunteerProfile ? null : r.data;
    }, 30_000);
    expect(mine!.myCivicCard.resident).toEqual({ id: me.id, name: me.name });
    const theirs = await city.query(`query($id: ID!) { civicCard(residentId: $id) { balance } }`, { id: other.id }, token);
    expect(theirs.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(ok(await city.query(`query($id: ID!) { resident(id: $id) { name } }`, { id: other.id }, token)).resident.name).toMatch(/\*/);
  });
});
