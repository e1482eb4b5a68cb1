import { civic } from '@citypoints/civic';
import { enterpriseCreditModule } from '@citypoints/enterprise-credit';
import { DAY } from '@citypoints/kit';
import { registry } from '@citypoints/registry';
import { socialOrganisationsModule } from '@citypoints/social-organisations';
import { eventually, FixedClock, genUscc, labourReport, ok, seed, startCity, type TestCity } from '@citypoints/test-city';
import { approve, clerks, projectedResident, publicise, register, review } from '../../subgraphs/civic/test/helpers';

/**
 * Explanations through the gateway: a labour-risk score and an organisation grading name the
 * scheme version they were computed under (a civic record's credited points, the civic rules version) and show that version as it was published; after a new
 * version is published, the earlier score's explanation is unchanged. (School and hukou
 * applications: tests/e2e/simulation-what-if.spec.ts.)
 */
describe('scores explain themselves by the scheme version that computed them', () => {
  let city: TestCity;
  let admin: string;
  let feed: string;
  let civilAffairs: string;
  const clock = new FixedClock(new Date('2026-06-15T02:00:00Z'));

  beforeAll(async () => {
    city = await startCity({ modules: [registry, civic, enterpriseCreditModule({ webhookAllowPrivate: true }), socialOrganisationsModule()], workers: true, clock, label: 'simulation_explanations' });
    admin = await city.token('CITY_ADMIN', { sub: 'admin-explain' });
    feed = await city.token('DATA_FEED', { sub: 'hr-feed', department: 'HUMAN_RESOURCES' });
    civilAffairs = await city.token('DATA_FEED', { sub: 'civil-explain', department: 'CIVIL_AFFAIRS' });
  });
  afterAll(() => city?.close());

  it('a labour-risk score keeps its scheme version and table after a new version is published', async () => {
    const enterprise = await seed(city).enterprise({ divisionCode: '441900121' });
    const ec = city.instances['enterprise-credit'].dataSource;
    await eventually(async () => (await ec.query(`SELECT 1 FROM enterprise_credit.enterprises WHERE uscc = $1`, [enterprise.uscc])).length === 1);
    ok(await city.query(`mutation($r: [LabourIndicatorsInput!]!) { reportLabourIndicators(reports: $r) }`, { r: [labourReport(enterprise.uscc, '2026-06', { petitions: 1 })] }, feed));
    const run = ok(await city.query(`mutation { runLabourRiskScoring(period: "2026-06") { id } }`, {}, admin)).runLabourRiskScoring;
    await eventually(async () => ok(await city.query(`query($id: ID!) { scoringRun(id: $id) { status } }`, { id: run.id }, admin)).scoringRun.status === 'COMPLETED');
    const EXPLAIN = `query($u: ID!) { enterprise(uscc: $u) { labourRisk { score schemeCode schemeVersion scheme { version code bands { indicator lo hi points label } levels { level minScore } } } } }`;
    const before = ok(await city.query(EXPLAIN, { u: enterprise.uscc }, admin)).enterprise.labourRisk;
    expect(before).toMatchObject({ score: 5, schemeCode: 'DG-LABOUR-RISK', schemeVersion: 1, scheme: { version: 1, code: 'DG-LABOUR-RISK' } });
    expect(before.scheme.bands).toContainEqual(expect.objectContaining({ indicator: 'petitions', lo: 1, points: 5 }));

    const current = ok(await city.query(`{ labourRiskScheme(period: "2026-06") { bands { indicator lo hi points label } levels { level minScore raisesAlert escalateAfterHours escalateAfterWorkingDays guidance } overrides { minLevel label conditions { indicator lo hi } } } }`, {}, admin)).labourRiskScheme;
    const stricter = { code: 'DG-LABOUR-RISK-2026H2', effectiveFrom: '2026-07', bands: current.bands.map((b: { indicator: string; lo: number | null; points: number }) => (b.indicator === 'petitions' && b.lo === 1 ? { ...b, points: 40 } : b)), levels: current.levels, overrides: current.overrides };
    const published = ok(await city.query(`mutation($i: LabourRiskSchemeInput!) { publishLabourRiskScheme(input: $i) { version code } }`, { i: stricter }, admin)).publishLabourRiskScheme;
    expect(published).toEqual({ version: 2, code: 'DG-LABOUR-RISK-2026H2' });
    expect(ok(await city.query(EXPLAIN, { u: enterprise.uscc }, admin)).enterprise.labourRisk).toEqual(before);
  });

  it('an organisation grading keeps its scheme version and definition after a new version is published', async () => {
    const uscc = genUscc('51');
    const so = city.instances['social-organisations'].dataSource;
    await so.query(`INSERT INTO social_organisations.organisations (uscc, name, kind, division_code) VALUES ($1, '东城商会', 'CHAMBER_OF_COMMERCE', '441900003')`, [uscc]);
    const GRADING = `points schemeCode schemeVersion scheme { code version effectiveFromYear definition }`;
    const graded = ok(await city.query(`mutation($i: OrganisationIndicatorInput!) { recordOrganisationIndicator(input: $i) { ${GRADING} } }`, { i: { uscc, year: 2025, category: 'BASIC_WORK', points: 12, idempotencyKey: `explain-${uscc}` } }, civilAffairs)).recordOrganisationIndicator;
    expect(graded).toMatchObject({ points: 12, scheme: { code: graded.schemeCode, version: graded.schemeVersion } });
    const inForce = ok(await city.query(`{ organisationGradingScheme(year: 2026) { code version definition } }`, {}, admin)).organisationGradingScheme;
    expect(inForce).toMatchObject({ code: graded.schemeCode, version: graded.schemeVersion, definition: graded.scheme.definition });

    const changed = JSON.parse(JSON.stringify(inForce.definition));
    const numeric = Object.keys(changed).find((k) => typeof changed[k] === 'number')!;
    changed[numeric] += 1;
    const published = ok(await city.query(`mutation($c: String!, $d: JSON!) { publishOrganisationGradingScheme(code: $c, effectiveFromYear: 2026, definition: $d) { version definition } }`, { c: inForce.code, d: changed }, admin)).publishOrganisationGradingScheme;
    expect(published.version).toBe(graded.schemeVersion + 1);
    const listed = ok(await city.query(`{ organisationGradings(year: 2025, first: 50) { nodes { organisation { uscc } ${GRADING} } } }`, {}, admin)).organisationGradings.nodes;
    const again = listed.find((n: { organisation: { uscc: string } }) => n.organisation.uscc === uscc);
    expect({ ...again, organisation: undefined }).toEqual({ ...graded, organisation: undefined });
    expect(again.scheme.definition).not.toEqual(published.definition);
  });

  it('a civic record keeps the rules version its credited points were computed under after new rules are published', async () => {
    const VILLAGE = '441900003001';
    const r = await projectedResident(city, VILLAGE);
    const c = await clerks(city, VILLAGE);
    const rec = ok(await register(city, c.registrar, r.id, 'HELP_NEIGHBOUR', '2026-06-14')).registerCivicRecord;
    ok(await review(city, c.reviewer, rec.id));
    ok(await publicise(city, c.clerk, rec.id));
    clock.advance(5 * DAY);
    ok(await approve(city, c.townReviewer, rec.id));
    const EXPLAIN = `query($id: ID!) { civicRecord(id: $id) { creditedPoints breakdown rulesVersion rules { version effectiveFrom definition } } }`;
    const before = ok(await city.query(EXPLAIN, { id: rec.id }, admin)).civicRecord;
    const inForce = ok(await city.query(`{ civicRules { version effectiveFrom definition } }`, {}, admin)).civicRules;
    expect(before).toMatchObject({ creditedPoints: 3, rulesVersion: inForce.version, rules: inForce });
    expect(before.breakdown.rulesVersion).toBe(inForce.version);
    const published = ok(
      await city.query(`mutation($d: JSON!, $on: Date!) { publishCivicRules(definition: $d, effectiveFrom: $on) { version definition } }`, { d: { ...inForce.definition, starsPerTown: inForce.definition.starsPerTown + 1 }, on: '2026-06-20' }, admin),
    ).publishCivicRules;
    expect(published.version).toBe(inForce.version + 1);
    clock.advance(1 * DAY);
    expect(ok(await city.query(`{ civicRules { version } }`, {}, admin)).civicRules.version).toBe(published.version);
    expect(ok(await city.query(EXPLAIN, { id: rec.id }, admin)).civicRecord).toEqual(before);
  });
});
