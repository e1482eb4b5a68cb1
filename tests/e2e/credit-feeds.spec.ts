import { codes, eventually, FixedClock, genUscc, labourReport, ok, seed, startCity, type EnterpriseInput, type TestCity } from '@citypoints/test-city';
import { registry } from '@citypoints/registry';
import { enterpriseCredit } from '@citypoints/enterprise-credit';
import { DEFAULT_CREDIT_SCHEME } from '../../subgraphs/enterprise-credit/src/seed/schemes.data';

const RECORD = `mutation($i: CreditRecordInput!) { recordCreditEvent(input: $i) { id kind department } }`;
const REPORT = `mutation($r: [LabourIndicatorsInput!]!) { reportLabourIndicators(reports: $r) }`;
const RUN = `mutation($p: String!, $d: ID) { runLabourRiskScoring(period: $p, divisionCode: $d) { id divisionCode } }`;
const RUN_STATE = `query($id: ID!) { scoringRun(id: $id) { id status scored divisionCode } }`;
const CHECK = `query($u: ID!) { creditCheck(uscc: $u, domain: BIDDING) { allowed } }`;

/** Feeds and roles of enterprise-credit as docs/domain/05-enterprise-credit.md, 06-labour-risk.md and 09-access.md state them, through the gateway. */
describe('enterprise-credit feeds record only their own department’s data, and runs stay in their division', () => {
  let city: TestCity;
  const clock = new FixedClock(new Date('2026-06-15T02:00:00Z'));
  let admin: string;
  const ec = () => city.instances['enterprise-credit'].dataSource;
  const feed = (department: string) => city.token('DATA_FEED', { sub: `${department.toLowerCase()}-feed`, department });

  beforeAll(async () => {
    city = await startCity({ modules: [registry, enterpriseCredit], workers: true, clock });
    admin = await city.token('CITY_ADMIN', { sub: 'admin-1' });
  });
  afterAll(() => city.close());

  const enterprise = async (divisionCode = '441900003'): Promise<EnterpriseInput> => {
    const e = await seed(city).enterprise({ divisionCode });
    await eventually(async () => (await ec().query(`SELECT 1 FROM enterprise_credit.enterprises WHERE uscc = $1`, [e.uscc])).length === 1);
    return e;
  };
  const records = async (uscc: string) => (await ec().query(`SELECT count(*)::int AS n FROM enterprise_credit.credit_records WHERE uscc = $1`, [uscc]))[0].n;

  it('a data feed records only the credit kinds the shipped scheme gives its department, else FORBIDDEN and nothing written', async () => {
    const recorders = DEFAULT_CREDIT_SCHEME.definition.recorders as Record<string, string[]>;
    const departments = ['COURT', 'HUMAN_RESOURCES', 'TAXATION', 'MARKET_REGULATION', 'EMERGENCY_MANAGEMENT', 'CIVIL_AFFAIRS'];
    // the rule as docs/domain/05-enterprise-credit.md writes it, held against the shipped data
    expect(recorders.DISHONEST_DEBTOR).toEqual(['COURT']);
    expect(recorders.WAGE_ARREARS_BLACKLIST).toEqual(['HUMAN_RESOURCES']);
    expect(recorders.A_TAXPAYER).toEqual(['TAXATION']);
    expect(recorders.PENALTY).toEqual(expect.arrayContaining(['MARKET_REGULATION', 'EMERGENCY_MANAGEMENT']));
    expect(recorders.PENALTY).not.toContain('COURT');
    for (const [kind, allowed] of Object.entries(recorders)) {
      for (const department of departments) {
        const e = await enterprise();
        const res = await city.query(RECORD, { i: { uscc: e.uscc, kind, occurredOn: '2026-05-01', idempotencyKey: `${kind}-${department}` } }, await feed(department));
        if (allowed.includes(department)) expect(ok(res).recordCreditEvent).toMatchObject({ kind, department });
        else {
          expect({ kind, department, codes: codes(res) }).toEqual({ kind, department, codes: ['FORBIDDEN'] });
          expect(await records(e.uscc)).toBe(0);
        }
      }
    }
    // a tax feed cannot blacklist
    const e = await enterprise();
    expect(codes(await city.query(RECORD, { i: { uscc: e.uscc, kind: 'WAGE_ARREARS_BLACKLIST', occurredOn: '2026-05-01', idempotencyKey: 'tax-black' } }, await feed('TAXATION')))).toEqual(['FORBIDDEN']);
    expect(await records(e.uscc)).toBe(0);
  });

  it("an idempotency key belongs to its caller: another feed's same key records its own record", async () => {
    const e = await enterprise();
    const input = { uscc: e.uscc, kind: 'PENALTY', occurredOn: '2026-05-01', idempotencyKey: 'shared-key-1' };
    const market = ok(await city.query(RECORD, { i: input }, await feed('MARKET_REGULATION'))).recordCreditEvent;
    const safety = ok(await city.query(RECORD, { i: input }, await feed('EMERGENCY_MANAGEMENT'))).recordCreditEvent;
    expect(safety.id).not.toBe(market.id);
    expect(safety.department).toBe('EMERGENCY_MANAGEMENT');
    expect(ok(await city.query(RECORD, { i: input }, await feed('MARKET_REGULATION'))).recordCreditEvent.id).toBe(market.id);
    expect(await records(e.uscc)).toBe(2);
  });

  it("a department's labour report never overwrites another department's with the same source", async () => {
    const e = await enterprise();
    const row = (v: Parameters<typeof labourReport>[2]) => labourReport(e.uscc, '2026-05', { source: 'monthly', ...v });
    ok(await city.query(REPORT, { r: [row({ wageArrearsDays: 40 })] }, await feed('HUMAN_RESOURCES')));
    ok(await city.query(REPORT, { r: [row({ taxArrearsMonths: 2 })] }, await feed('TAXATION')));
    const reports = await ec().query(`SELECT department, wage_arrears_days, tax_arrears_months FROM enterprise_credit.labour_reports WHERE uscc = $1 ORDER BY department`, [e.uscc]);
    expect(reports).toEqual([
      { department: 'HUMAN_RESOURCES', wage_arrears_days: 40, tax_arrears_months: 0 },
      { department: 'TAXATION', wage_arrears_days: 0, tax_arrears_months: 2 },
    ]);
    // a correction from one department corrects its own report only
    ok(await city.query(REPORT, { r: [row({ taxArrearsMonths: 1 })] }, await feed('TAXATION')));
    const [merged] = await ec().query(`SELECT wage_arrears_days, tax_arrears_months FROM enterprise_credit.labour_indicators WHERE uscc = $1 AND period = '2026-05'`, [e.uscc]);
    expect(merged).toEqual({ wage_arrears_days: 40, tax_arrears_months: 1 });
  });

  it("a regulator scores only their own division; a city-wide run is the city admin's", async () => {
    const [mine, theirs] = [await enterprise('441900121'), await enterprise('441900123')];
    ok(await city.query(REPORT, { r: [labourReport(mine.uscc, '2026-04'), labourReport(theirs.uscc, '2026-04')] }, await feed('HUMAN_RESOURCES')));
    const humen = await city.token('REGULATOR', { division: '441900121' });
    const cityRegulator = await city.token('REGULATOR', { division: '441900' });
    expect(codes(await city.query(RUN, { p: '2026-04' }, cityRegulator))).toEqual(['FORBIDDEN']);
    expect(codes(await city.query(RUN, { p: '2026-04', d: '441900123' }, humen))).toEqual(['FORBIDDEN']);
    expect(codes(await city.query(RUN, { p: '2026-04' }, await feed('HUMAN_RESOURCES')))).toEqual(['FORBIDDEN']);

    const run = ok(await city.query(RUN, { p: '2026-04' }, humen)).runLabourRiskScoring;
    expect(run.divisionCode).toBe('441900121');
    const done = await eventually(async () => {
      const r = ok(await city.query(RUN_STATE, { id: run.id }, humen)).scoringRun;
      return r.status === 'COMPLETED' ? r : null;
    });
    expect(done.scored).toBe(1);
    const scored = await ec().query(`SELECT uscc FROM enterprise_credit.labour_risk_scores WHERE period = '2026-04' AND uscc = ANY($1)`, [[mine.uscc, theirs.uscc]]);
    expect(scored).toEqual([{ uscc: mine.uscc }]);
    // another town's regulator does not see the run
    const changan = await city.token('REGULATOR', { division: '441900123' });
    expect(ok(await city.query(RUN_STATE, { id: run.id }, changan)).scoringRun).toBeNull();

    const cityRun = ok(await city.query(RUN, { p: '2026-04' }, admin)).runLabourRiskScoring;
    expect(cityRun.divisionCode).toBeNull();
    await eventually(async () => ok(await city.query(RUN_STATE, { id: cityRun.id }, admin)).scoringRun.status === 'COMPLETED');
    expect(ok(await city.query(RUN_STATE, { id: cityRun.id }, humen)).scoringRun).toBeNull();
    const all = await ec().query(`SELECT count(*)::int AS n FROM enterprise_credit.labour_risk_scores WHERE period = '2026-04' AND uscc = ANY($1)`, [[mine.uscc, theirs.uscc]]);
    expect(all[0].n).toBe(2);
  });

  it('a caller whose role may not read credit learns nothing, not even whether an enterprise exists', async () => {
    const resident = await city.token('RESIDENT', { sub: 'r-9' });
    const merchant = await city.token('MERCHANT', { sub: 'm-9' });
    const e = await enterprise();
    for (const token of [resident, merchant]) {
      expect(codes(await city.query(CHECK, { u: genUscc() }, token))).toEqual(['FORBIDDEN']);
      expect(codes(await city.query(CHECK, { u: e.uscc }, token))).toEqual(['FORBIDDEN']);
    }
    expect(ok(await city.query(CHECK, { u: e.uscc }, await feed('MARKET_REGULATION'))).creditCheck).toEqual({ allowed: true });
  });
});
