import { makeIdNumber } from '@citypoints/kit';
import { registry } from '@citypoints/registry';
import { settlement } from '@citypoints/settlement';
import { eventually, FixedClock, ok, seed, startCity, type TestCity } from '@citypoints/test-city';

/**
 * What-if simulation of a draft school scheme through the gateway: raising one option's points
 * moves exactly the applicants who claimed it, re-ranked and re-placed with the pool's published
 * seed, and nothing live changes. Then explanations: an application keeps explaining its score by
 * the scheme version it was computed under after a new version is published.
 */
const TOWN = '441900003';
const OTHER_TOWN = '441900004';

describe('scheme simulation and explanations', () => {
  let city: TestCity;
  let officer: string;
  let admin: string;
  const schools: string[] = [];
  const apps: string[] = [];
  let inForce: { version: number; definition: { items: { code: string; options?: Record<string, number> }[] } };

  const SIM = `query($id: ID!) { schemeSimulation(id: $id) { id kind year townCode status progress error applications changedEligibility changedPlacement pointChanges
    movers(first: 10) { applicationNo parentNameMasked totalBefore totalAfter rankBefore rankAfter placementBefore { id } placementAfter { id } }
    cutoffChanges { school { id } before after } } }`;
  const SIMULATE = `mutation($kind: SchemeKind!, $year: Int!, $d: JSON!, $town: ID) { simulatePointsScheme(kind: $kind, year: $year, definition: $d, townCode: $town) { id status } }`;

  /** Everything live the simulation must leave alone: the public list, the applications as stored, the results and runs. */
  async function live() {
    const ds = city.instances.settlement.dataSource;
    const ranking = ok(await city.query(`{ schoolRanking(year: 2026, townCode: "${TOWN}", grade: PRIMARY_1) { runId totalCount nodes { rank applicationNo total status placement { id } } } }`, {}, officer)).schoolRanking;
    const one = `status points { total schemeVersion lines { code points status } }`;
    const statuses = ok(await city.query(`{ ${apps.map((n, i) => `a${i}: schoolApplication(applicationNo: "${n}") { ${one} }`).join(' ')} }`, {}, officer));
    return {
      ranking,
      statuses,
      applications: await ds.query(`SELECT application_no, status, total::text, tie1::text, tie2::text, indicators, breakdown, unmet_conditions, scheme_id FROM settlement.school_applications ORDER BY application_no`),
      results: await ds.query(`SELECT run_no, application_no, rank, school_id, outcome, total::text FROM settlement.admission_results ORDER BY run_no, application_no`),
      current: await ds.query(`SELECT year, town_code, grade, run_id, line_changes FROM settlement.admission_current ORDER BY town_code`),
      runs: await ds.query(`SELECT id, output_digest, input_digest FROM settlement.admission_runs ORDER BY id`),
      schemes: await ds.query(`SELECT id, version, definition FROM settlement.schemes ORDER BY id`),
    };
  }

  beforeAll(async () => {
    const clock = new FixedClock(new Date('2026-03-10T02:00:00Z'));
    city = await startCity({ modules: [registry, settlement], workers: true, clock, label: 'settlement_simulation' });
    officer = await city.token('EDUCATION_OFFICER', { sub: 'edu-sim', division: TOWN });
    admin = await city.token('CITY_ADMIN', { sub: 'admin-sim' });
    for (const name of ['东城第一小学', '东城实验学校']) {
      schools.push(ok(await city.query(`mutation($i: UpsertSchoolInput!) { upsertSchool(input: $i) { id } }`, { i: { name, townCode: TOWN, seats: [{ year: 2026, grade: 'PRIMARY_1', seats: 1 }] } }, officer)).upsertSchool.id);
    }
    const eligible = [{ code: 'RESIDENCE_PERMIT', value: 'true' }, { code: 'SOCIAL_INSURANCE', value: 'true' }];
    // 80, 60, 30 points; one seat at each school, everybody prefers the first
    for (const [i, education] of ['BACHELOR', 'COLLEGE', 'HIGH_SCHOOL_OR_BELOW'].entries()) {
      clock.advance(60_000);
      const p = await seed(city).resident({ hukou: 'MIGRANT' });
      await eventually(async () => (await city.instances.settlement.dataSource.query(`SELECT 1 FROM settlement.residents WHERE id = $1`, [p.id])).length === 1);
      const indicators = [{ code: 'EDUCATION', value: education }, ...eligible];
      const a = ok(
        await city.query(
          `mutation($i: SubmitSchoolApplicationInput!) { submitSchoolApplication(input: $i) { applicationNo } }`,
          { i: { parentId: p.id, childName: `孩子${i}`, childIdNumber: makeIdNumber('441900', '2020-06-01', 700 + i), year: 2026, grade: 'PRIMARY_1', townCode: TOWN, preferences: schools, indicators } },
          officer,
        ),
      ).submitSchoolApplication.applicationNo;
      ok(await city.query(`mutation($n: ID!, $v: [IndicatorVerdictInput!]!) { verifyIndicators(applicationNo: $n, verdicts: $v) { status } }`, { n: a, v: indicators.map((l) => ({ code: l.code, status: 'VERIFIED' })) }, officer));
      apps.push(a);
    }
    const runId = ok(await city.query(`mutation { runSchoolAdmission(year: 2026, townCode: "${TOWN}", grade: PRIMARY_1, seed: "sim-2026") { id } }`, {}, officer)).runSchoolAdmission.id;
    await eventually(async () => ok(await city.query(`query($id: ID!) { admissionRun(id: $id) { status } }`, { id: runId }, officer)).admissionRun.status === 'COMPLETED');
    inForce = ok(await city.query(`{ pointsScheme(kind: SCHOOL_ADMISSION, year: 2026) { version definition } }`, {}, officer)).pointsScheme;
  });
  afterAll(async () => {
    await city?.close();
  });

  /** The in-force definition with HIGH_SCHOOL_OR_BELOW raised from 30 to 130. */
  function draft() {
    const d = JSON.parse(JSON.stringify(inForce.definition));
    const education = d.items.find((i: { code: string }) => i.code === 'EDUCATION');
    expect(education.options.HIGH_SCHOOL_OR_BELOW).toBe(30);
    education.options.HIGH_SCHOOL_OR_BELOW = 130;
    return d;
  }

  async function completed(id: string, token: string) {
    await eventually(async () => ['COMPLETED', 'FAILED'].includes(ok(await city.query(SIM, { id }, token)).schemeSimulation.status));
    return ok(await city.query(SIM, { id }, token)).schemeSimulation;
  }

  it('reports the movers, placements and cut-offs of a draft raising one option, and changes nothing live', async () => {
    const before = await live();
    expect(before.ranking.nodes.map((n: { applicationNo: string }) => n.applicationNo)).toEqual(apps);
    const queued = ok(await city.query(SIMULATE, { kind: 'SCHOOL_ADMISSION', year: 2026, d: draft(), town: TOWN }, officer)).simulatePointsScheme;
    expect(['QUEUED', 'RUNNING', 'COMPLETED']).toContain(queued.status);
    const sim = await completed(queued.id, officer);
    expect(sim).toMatchObject({ kind: 'SCHOOL_ADMISSION', year: 2026, townCode: TOWN, status: 'COMPLETED', progress: 1, error: null, applications: 3, changedEligibility: 0, changedPlacement: 3 });
    expect(sim.pointChanges).toEqual({ '0': 2, '100': 1 });
    const [a, b] = schools;
    // most points moved first, then most ranks moved, then by application number
    expect(sim.movers).toEqual([
      { applicationNo: apps[2], parentNameMasked: expect.stringContaining('*'), totalBefore: 30, totalAfter: 130, rankBefore: 3, rankAfter: 1, placementBefore: null, placementAfter: { id: a } },
      { applicationNo: apps[0], parentNameMasked: expect.stringContaining('*'), totalBefore: 80, totalAfter: 80, rankBefore: 1, rankAfter: 2, placementBefore: { id: a }, placementAfter: { id: b } },
      { applicationNo: apps[1], parentNameMasked: expect.stringContaining('*'), totalBefore: 60, totalAfter: 60, rankBefore: 2, rankAfter: 3, placementBefore: { id: b }, placementAfter: null },
    ]);
    expect([...apps].sort()).toEqual(apps);
    expect(sim.cutoffChanges).toEqual(
      [
        { school: { id: a }, before: 80, after: 130 },
        { school: { id: b }, before: 60, after: 80 },
      ].sort((x, y) => (x.school.id < y.school.id ? -1 : 1)),
    );
    const one = ok(await city.query(`query($id: ID!) { schemeSimulation(id: $id) { movers(first: 1) { applicationNo } } }`, { id: queued.id }, officer)).schemeSimulation;
    expect(one.movers).toEqual([{ applicationNo: apps[2] }]);
    expect(await live()).toEqual(before);
  });

  it('a draft identical to the scheme in force moves nobody', async () => {
    const queued = ok(await city.query(SIMULATE, { kind: 'SCHOOL_ADMISSION', year: 2026, d: inForce.definition, town: TOWN }, admin)).simulatePointsScheme;
    const sim = await completed(queued.id, admin);
    expect(sim).toMatchObject({ status: 'COMPLETED', applications: 3, changedEligibility: 0, changedPlacement: 0, pointChanges: { '0': 3 }, movers: [], cutoffChanges: [] });
  });

  it('refuses an invalid definition as a publication would, and records nothing', async () => {
    const ds = city.instances.settlement.dataSource;
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM settlement.scheme_simulations`);
    const bad = { ...draft(), items: [] };
    const r = await city.query(SIMULATE, { kind: 'SCHOOL_ADMISSION', year: 2026, d: bad, town: TOWN }, officer);
    expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const published = await city.query(`mutation($d: JSON!) { publishPointsScheme(kind: SCHOOL_ADMISSION, code: "DG-SCHOOL", year: 2026, definition: $d) { version } }`, { d: bad }, admin);
    expect(published.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(published.errors?.[0]?.message).toBe(r.errors?.[0]?.message);
    const household = await city.query(SIMULATE, { kind: 'HOUSEHOLD_REGISTRATION', year: 2026, d: { barYears: 5, items: [{ code: 'X', label: 'x', kind: 'BOOLEAN', points: 1 }] }, town: TOWN }, admin);
    expect(household.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT'); // a hukou scheme needs a threshold
    expect((await ds.query(`SELECT count(*)::int AS n FROM settlement.scheme_simulations`))[0].n).toBe(n);
  });

  it('lets the officers of the kind and town, the town official and the city admin simulate; nobody else', async () => {
    const d = draft();
    const allowed = [
      await city.token('TOWN_OFFICIAL', { sub: 'town-sim', division: TOWN }),
      await city.token('HUKOU_OFFICER', { sub: 'hukou-sim', division: TOWN }), // for a hukou scheme only
    ];
    ok(await city.query(SIMULATE, { kind: 'SCHOOL_ADMISSION', year: 2026, d, town: TOWN }, allowed[0]));
    const hukouDef = ok(await city.query(`{ pointsScheme(kind: HOUSEHOLD_REGISTRATION, year: 2026) { definition } }`, {}, admin)).pointsScheme.definition;
    const hukouSim = ok(await city.query(SIMULATE, { kind: 'HOUSEHOLD_REGISTRATION', year: 2026, d: hukouDef, town: TOWN }, allowed[1])).simulatePointsScheme;
    expect((await completed(hukouSim.id, allowed[1])).status).toBe('COMPLETED');
    const cityWide = ok(await city.query(SIMULATE, { kind: 'SCHOOL_ADMISSION', year: 2026, d, town: null }, admin)).simulatePointsScheme;
    expect((await completed(cityWide.id, admin)).applications).toBe(3);
    const refused: [string, Record<string, unknown>][] = [
      [await city.token('RESIDENT', { sub: 'someone' }), { kind: 'SCHOOL_ADMISSION', town: TOWN }],
      [await city.token('EDUCATION_OFFICER', { sub: 'edu-other', division: OTHER_TOWN }), { kind: 'SCHOOL_ADMISSION', town: TOWN }],
      [allowed[1], { kind: 'SCHOOL_ADMISSION', town: TOWN }],
      [officer, { kind: 'HOUSEHOLD_REGISTRATION', town: TOWN }],
      [officer, { kind: 'SCHOOL_ADMISSION', town: null }],
      [await city.token('DEPARTMENT_ANALYST', { sub: 'analyst-sim' }), { kind: 'SCHOOL_ADMISSION', town: TOWN }],
    ];
    for (const [token, v] of refused) {
      const r = await city.query(SIMULATE, { year: 2026, d: v.kind === 'SCHOOL_ADMISSION' ? d : hukouDef, ...v }, token);
      expect(r.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const seen = await city.query(SIM, { id: cityWide.id }, officer);
    expect(seen.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const other = await city.query(SIM, { id: hukouSim.id }, await city.token('HUKOU_OFFICER', { sub: 'hukou-other', division: OTHER_TOWN }));
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('an earlier score keeps its explanation (scheme code, version and definition) after a new version is published', async () => {
    const EXPLAIN = `query($n: ID!) { schoolApplication(applicationNo: $n) { points { total schemeCode schemeVersion scheme { code version year definition } } } }`;
    const before = ok(await city.query(EXPLAIN, { n: apps[2] }, officer)).schoolApplication.points;
    expect(before).toMatchObject({ total: 30, schemeCode: 'DG-SCHOOL', schemeVersion: inForce.version, scheme: { code: 'DG-SCHOOL', version: inForce.version, definition: inForce.definition } });
    // versions count up per code across years (the shipped 2027 version is above 2026's)
    const history = ok(await city.query(`{ pointsSchemeHistory(kind: SCHOOL_ADMISSION, code: "DG-SCHOOL") { version } }`, {}, officer)).pointsSchemeHistory;
    const latest = Math.max(...history.map((v: { version: number }) => v.version));
    const published = ok(await city.query(`mutation($d: JSON!) { publishPointsScheme(kind: SCHOOL_ADMISSION, code: "DG-SCHOOL", year: 2026, definition: $d) { version } }`, { d: draft() }, admin)).publishPointsScheme;
    expect(published.version).toBe(latest + 1);
    expect(ok(await city.query(`{ pointsScheme(kind: SCHOOL_ADMISSION, year: 2026) { version } }`, {}, officer)).pointsScheme.version).toBe(published.version);
    const after = ok(await city.query(EXPLAIN, { n: apps[2] }, officer)).schoolApplication.points;
    expect(after).toEqual(before);
    expect(after.scheme.definition.items.find((i: { code: string }) => i.code === 'EDUCATION').options.HIGH_SCHOOL_OR_BELOW).toBe(30);
  });

  it('a hukou draft raising one option moves an application across the threshold; its score keeps its explanation after the draft is published', async () => {
    const hukou = await city.token('HUKOU_OFFICER', { sub: 'hukou-sim-2', division: TOWN });
    const p = await seed(city).resident({ hukou: 'MIGRANT' });
    await eventually(async () => (await city.instances.settlement.dataSource.query(`SELECT 1 FROM settlement.residents WHERE id = $1`, [p.id])).length === 1);
    const no = ok(await city.query(`mutation($i: SubmitHouseholdApplicationInput!) { submitHouseholdApplication(input: $i) { applicationNo } }`, { i: { applicantId: p.id, townCode: TOWN, indicators: [{ code: 'EDUCATION', value: 'COLLEGE' }] } }, hukou))
      .submitHouseholdApplication.applicationNo;
    const EXPLAIN = `eligible status points { total schemeCode schemeVersion scheme { code version definition } }`;
    const verified = ok(await city.query(`mutation($n: ID!) { verifyHouseholdIndicators(applicationNo: $n, verdicts: [{ code: "EDUCATION", status: VERIFIED }]) { ${EXPLAIN} } }`, { n: no }, hukou)).verifyHouseholdIndicators;
    const scheme = ok(await city.query(`{ pointsScheme(kind: HOUSEHOLD_REGISTRATION, year: 2026) { code version threshold definition } }`, {}, hukou)).pointsScheme;
    expect(verified.points).toMatchObject({ schemeCode: scheme.code, schemeVersion: scheme.version, scheme: { code: scheme.code, version: scheme.version, definition: scheme.definition } });
    expect(verified.eligible).toBe(false);
    const total = verified.points.total;
    const raise = scheme.threshold - total + 10;
    const d = JSON.parse(JSON.stringify(scheme.definition));
    d.items.find((i: { code: string }) => i.code === 'EDUCATION').options.COLLEGE += raise;
    const queued = ok(await city.query(SIMULATE, { kind: 'HOUSEHOLD_REGISTRATION', year: 2026, d, town: TOWN }, hukou)).simulatePointsScheme;
    const sim = await completed(queued.id, hukou);
    expect(sim).toMatchObject({ status: 'COMPLETED', applications: 1, changedEligibility: 1, changedPlacement: 0, pointChanges: { [String(raise)]: 1 }, cutoffChanges: [] });
    expect(sim.movers).toEqual([
      { applicationNo: no, parentNameMasked: expect.stringContaining('*'), totalBefore: total, totalAfter: total + raise, rankBefore: null, rankAfter: null, placementBefore: null, placementAfter: null },
    ]);
    const READ = `query($n: ID!) { householdApplication(applicationNo: $n) { ${EXPLAIN} } }`;
    expect(ok(await city.query(READ, { n: no }, hukou)).householdApplication).toEqual(verified);
    const published = ok(await city.query(`mutation($c: String!, $d: JSON!) { publishPointsScheme(kind: HOUSEHOLD_REGISTRATION, code: $c, year: 2026, definition: $d) { version } }`, { c: scheme.code, d }, admin)).publishPointsScheme;
    expect(published.version).toBe(scheme.version + 1);
    expect(ok(await city.query(READ, { n: no }, hukou)).householdApplication).toEqual(verified);
  });
});
