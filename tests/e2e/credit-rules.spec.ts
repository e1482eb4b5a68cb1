import { codes, eventually, FixedClock, labourReport, ok, seed, startCity, type EnterpriseInput, type TestCity } from '@citypoints/test-city';
import { registry } from '@citypoints/registry';
import { enterpriseCredit } from '@citypoints/enterprise-credit';
import { DEFAULT_CREDIT_SCHEME, DEFAULT_LABOUR_RISK_SCHEME } from '../../subgraphs/enterprise-credit/src/seed/schemes.data';

const RECORD = `mutation($i: CreditRecordInput!) { recordCreditEvent(input: $i) { id kind area occurredOn publicUntil repairableFrom repaired } }`;
const REPAIR = `mutation($id: ID!) { repairCreditRecord(recordId: $id, approve: true, note: "rectified") { id repaired repairableFrom } }`;
const REPORT = `mutation($r: [LabourIndicatorsInput!]!) { reportLabourIndicators(reports: $r) }`;
const RUN = `mutation($p: String!) { runLabourRiskScoring(period: $p) { id } }`;
const RUN_STATE = `query($id: ID!) { scoringRun(id: $id) { status alertsRaised } }`;
const RISK = `query($u: ID!) { enterprise(uscc: $u) { labourRisk { level score period stale lastReportedPeriod schemeVersion indicators { period petitions } } } }`;
const ALERTS = `query($d: ID) { riskAlerts(divisionCode: $d, first: 50) { totalCount nodes { id kind level previousLevel period reportsStoppedSince reasons status enterprise { uscc } } } }`;

/** docs/domain/05-enterprise-credit.md (repair minimums by area) and §6 (stale enterprises, reports stopped, escalation on working days), through the gateway. */
describe('credit and labour-risk rules as the city writes them', () => {
  let city: TestCity;
  const clock = new FixedClock(new Date('2026-06-15T02:00:00Z'));
  let admin: string;
  let market: string;
  let hr: string;
  const ec = () => city.instances['enterprise-credit'].dataSource;

  beforeAll(async () => {
    city = await startCity({ modules: [registry, enterpriseCredit], workers: true, clock });
    admin = await city.token('CITY_ADMIN', { sub: 'admin-1' });
    market = await city.token('DATA_FEED', { sub: 'market-feed', department: 'MARKET_REGULATION' });
    hr = await city.token('DATA_FEED', { sub: 'hr-feed', department: 'HUMAN_RESOURCES' });
  });
  afterAll(() => city.close());
  afterEach(() => clock.set('2026-06-15T02:00:00Z'));

  const enterprise = async (divisionCode: string): Promise<EnterpriseInput> => {
    const e = await seed(city).enterprise({ divisionCode });
    await eventually(async () => (await ec().query(`SELECT 1 FROM enterprise_credit.enterprises WHERE uscc = $1`, [e.uscc])).length === 1);
    return e;
  };
  const score = async (period: string) => {
    const run = ok(await city.query(RUN, { p: period }, admin)).runLabourRiskScoring;
    return eventually(async () => {
      const r = ok(await city.query(RUN_STATE, { id: run.id }, admin)).scoringRun;
      return r.status === 'COMPLETED' ? r : null;
    });
  };
  const alertsOf = async (division: string, uscc: string) =>
    ok(await city.query(ALERTS, { d: division }, admin)).riskAlerts.nodes.filter((n: { enterprise: { uscc: string } }) => n.enterprise.uscc === uscc);

  describe('§5 a penalty carries its area; work safety, fire and special equipment hold publicity and repair for a year', () => {
    it('the shipped scheme gives those three areas a 12-month minimum for penalties', () => {
      for (const kind of ['PENALTY', 'SEVERE_PENALTY'] as const) {
        expect(DEFAULT_CREDIT_SCHEME.definition.kinds[kind].areaMinMonths).toEqual({ WORK_SAFETY: 12, FIRE_SAFETY: 12, SPECIAL_EQUIPMENT: 12 });
        expect(DEFAULT_CREDIT_SCHEME.definition.kinds[kind].repairAfterMonths).toBe(3);
      }
    });

    it('a WORK_SAFETY penalty 5 months old cannot be repaired (INVALID_STATE, repairable a year after it occurred) while a GENERAL one can', async () => {
      const e = await enterprise('441900003');
      const safety = ok(await city.query(RECORD, { i: { uscc: e.uscc, kind: 'PENALTY', area: 'WORK_SAFETY', occurredOn: '2026-01-15', idempotencyKey: `ws-${e.uscc}` } }, market)).recordCreditEvent;
      expect(safety).toMatchObject({ area: 'WORK_SAFETY', occurredOn: '2026-01-15', publicUntil: '2027-01-15', repairableFrom: '2027-01-15', repaired: false });
      const general = ok(await city.query(RECORD, { i: { uscc: e.uscc, kind: 'PENALTY', occurredOn: '2026-01-15', idempotencyKey: `gen-${e.uscc}` } }, market)).recordCreditEvent;
      expect(general).toMatchObject({ area: 'GENERAL', repairableFrom: '2026-04-15' });

      const refused = await city.query(REPAIR, { id: safety.id }, market);
      expect(codes(refused)).toEqual(['INVALID_STATE']);
      expect(ok(await city.query(REPAIR, { id: general.id }, market)).repairCreditRecord).toEqual({ id: general.id, repaired: true, repairableFrom: '2026-04-15' });
      const [{ repaired }] = await ec().query(`SELECT repaired FROM enterprise_credit.credit_records WHERE id = $1`, [safety.id]);
      expect(repaired).toBe(false);

      // a year after it occurred, it can
      clock.set('2027-01-15T02:00:00Z');
      expect(ok(await city.query(REPAIR, { id: safety.id }, market)).repairCreditRecord.repaired).toBe(true);
    });

    it('the one-year minimum holds for publicity too, for fire and special equipment alike; only penalties carry an area', async () => {
      const e = await enterprise('441900003');
      for (const area of ['WORK_SAFETY', 'FIRE_SAFETY', 'SPECIAL_EQUIPMENT']) {
        expect(codes(await city.query(RECORD, { i: { uscc: e.uscc, kind: 'PENALTY', area, occurredOn: '2026-05-01', publicMonths: 6, idempotencyKey: `short-${area}-${e.uscc}` } }, market))).toEqual(['BAD_USER_INPUT']);
        const rec = ok(await city.query(RECORD, { i: { uscc: e.uscc, kind: 'SEVERE_PENALTY', area, occurredOn: '2026-05-01', publicMonths: 12, idempotencyKey: `ok-${area}-${e.uscc}` } }, market)).recordCreditEvent;
        expect(rec).toMatchObject({ area, publicUntil: '2027-05-01', repairableFrom: '2027-05-01' });
      }
      expect(ok(await city.query(RECORD, { i: { uscc: e.uscc, kind: 'PENALTY', occurredOn: '2026-05-01', publicMonths: 6, idempotencyKey: `general-${e.uscc}` } }, market)).recordCreditEvent).toMatchObject({
        area: 'GENERAL', publicUntil: '2026-11-01', repairableFrom: '2026-08-01',
      });
      const honour = await city.query(RECORD, { i: { uscc: e.uscc, kind: 'HONOUR', area: 'FIRE_SAFETY', occurredOn: '2026-05-01', idempotencyKey: `honour-${e.uscc}` } }, market);
      expect(codes(honour)).toEqual(['BAD_USER_INPUT']);
      const plain = ok(await city.query(RECORD, { i: { uscc: e.uscc, kind: 'HONOUR', occurredOn: '2026-05-01', idempotencyKey: `honour2-${e.uscc}` } }, market)).recordCreditEvent;
      expect(plain).toMatchObject({ area: null, repairableFrom: null });
    });
  });

  describe('§6 every enterprise ever reported is scored each month', () => {
    it('an enterprise reported in M−2 and not in M−1 is stale after scoring M−1, with lastReportedPeriod M−2 and its last level', async () => {
      const [silent, reporting] = [await enterprise('441900004'), await enterprise('441900004')];
      ok(await city.query(REPORT, { r: [labourReport(silent.uscc, '2026-04', { petitions: 2, taxArrearsMonths: 1 }), labourReport(reporting.uscc, '2026-04')] }, hr));
      await score('2026-04');
      expect(ok(await city.query(RISK, { u: silent.uscc }, admin)).enterprise.labourRisk).toMatchObject({ level: 'PROBLEM', score: 20, period: '2026-04', stale: false, lastReportedPeriod: '2026-04' });

      ok(await city.query(REPORT, { r: [labourReport(reporting.uscc, '2026-05', { petitions: 1 })] }, hr));
      await score('2026-05');
      expect(ok(await city.query(RISK, { u: silent.uscc }, admin)).enterprise.labourRisk).toEqual({
        level: 'PROBLEM', score: 20, period: '2026-05', stale: true, lastReportedPeriod: '2026-04', schemeVersion: 1, indicators: { period: '2026-04', petitions: 2 },
      });
      expect(ok(await city.query(RISK, { u: reporting.uscc }, admin)).enterprise.labourRisk).toMatchObject({ level: 'NORMAL', score: 5, period: '2026-05', stale: false, lastReportedPeriod: '2026-05' });
      const [{ n }] = await ec().query(`SELECT count(*)::int AS n FROM enterprise_credit.labour_risk_scores WHERE uscc = $1`, [silent.uscc]);
      expect(n).toBe(2);
    });

    it('an enterprise last at PROBLEM or above whose reports stop for 2 months in a row raises "reports stopped since YYYY-MM" at its last level, once', async () => {
      expect(DEFAULT_LABOUR_RISK_SCHEME.reportsStopped).toEqual({ afterMonths: 2, minLevel: 'PROBLEM' });
      const [fleeing, calm] = [await enterprise('441900110'), await enterprise('441900110')];
      clock.set('2026-03-20T02:00:00Z');
      ok(await city.query(REPORT, { r: [labourReport(fleeing.uscc, '2026-03', { wageArrearsDays: 31, rentArrearsMonths: 1 }), labourReport(calm.uscc, '2026-03')] }, hr));
      await score('2026-03');
      const risen = await alertsOf('441900110', fleeing.uscc);
      expect(risen.map((a: { kind: string; level: string }) => `${a.kind}:${a.level}`)).toEqual(['LEVEL_RISE:RISK']);

      clock.set('2026-04-20T02:00:00Z');
      await score('2026-04'); // one month without a report: stale, no alert yet
      expect(await alertsOf('441900110', fleeing.uscc)).toHaveLength(1);

      clock.set('2026-05-20T02:00:00Z');
      const run = await score('2026-05');
      expect(run.alertsRaised).toBe(1);
      const stopped = (await alertsOf('441900110', fleeing.uscc)).filter((a: { kind: string }) => a.kind === 'REPORTS_STOPPED');
      expect(stopped).toHaveLength(1);
      expect(stopped[0]).toMatchObject({ level: 'RISK', previousLevel: 'RISK', period: '2026-05', reportsStoppedSince: '2026-04', status: 'OPEN' });
      expect(stopped[0].reasons[0]).toBe('reports stopped since 2026-04');

      // once: neither a re-run nor the next month adds another; a calm enterprise never raises it
      expect((await score('2026-05')).alertsRaised).toBe(0);
      clock.set('2026-06-15T02:00:00Z');
      await score('2026-06');
      expect((await alertsOf('441900110', fleeing.uscc)).filter((a: { kind: string }) => a.kind === 'REPORTS_STOPPED')).toHaveLength(1);
      expect(await alertsOf('441900110', calm.uscc)).toHaveLength(0);
      const regulator = await city.token('REGULATOR', { division: '441900110' });
      const inbox = ok(await city.query(ALERTS, { d: '441900110' }, regulator)).riskAlerts.nodes.map((n: { id: string }) => n.id);
      expect(inbox).toContain(stopped[0].id);
    });
  });

  describe('§6 the scoring table is versioned data', () => {
    it('publishes a later version (with its own "reports stopped" values), keeps the history, and refuses one not later than the last', async () => {
      const SCHEME = `query($p: String!) { labourRiskScheme(period: $p) { version code reportsStoppedAfterMonths reportsStoppedMinLevel bands { indicator lo hi points label } levels { level minScore raisesAlert escalateAfterHours escalateAfterWorkingDays guidance } overrides { minLevel label conditions { indicator lo hi } } } }`;
      const HISTORY = `{ labourRiskSchemeHistory { version code reportsStoppedAfterMonths } }`;
      const v1 = ok(await city.query(SCHEME, { p: '2028-12' }, admin)).labourRiskScheme;
      expect(v1).toMatchObject({ version: 1, reportsStoppedAfterMonths: 2, reportsStoppedMinLevel: 'PROBLEM' });
      expect(ok(await city.query(HISTORY, {}, admin)).labourRiskSchemeHistory).toEqual([{ version: 1, code: 'DG-LABOUR-RISK', reportsStoppedAfterMonths: 2 }]);
      const input = {
        code: 'DG-LABOUR-RISK-2029',
        effectiveFrom: '2029-01',
        bands: v1.bands,
        levels: v1.levels,
        overrides: v1.overrides,
        reportsStoppedAfterMonths: 3,
      };
      const PUBLISH = `mutation($i: LabourRiskSchemeInput!) { publishLabourRiskScheme(input: $i) { version code reportsStoppedAfterMonths reportsStoppedMinLevel } }`;
      expect(ok(await city.query(PUBLISH, { i: input }, admin)).publishLabourRiskScheme).toEqual({ version: 2, code: 'DG-LABOUR-RISK-2029', reportsStoppedAfterMonths: 3, reportsStoppedMinLevel: 'PROBLEM' });
      expect(codes(await city.query(PUBLISH, { i: { ...input, code: 'SAME-MONTH' } }, admin))).toEqual(['CONFLICT']);
      expect(ok(await city.query(HISTORY, {}, admin)).labourRiskSchemeHistory).toEqual([
        { version: 2, code: 'DG-LABOUR-RISK-2029', reportsStoppedAfterMonths: 3 },
        { version: 1, code: 'DG-LABOUR-RISK', reportsStoppedAfterMonths: 2 },
      ]);
      const v2 = ok(await city.query(SCHEME, { p: '2029-01' }, admin)).labourRiskScheme;
      expect({ ...v2, version: 1, code: v1.code, reportsStoppedAfterMonths: 2 }).toEqual(v1);
      expect(ok(await city.query(SCHEME, { p: '2028-12' }, admin)).labourRiskScheme.version).toBe(1);
    });
  });

  describe('§6 an unacknowledged alert escalates on working days of the published calendar', () => {
    it('a RISK alert raised the day before the National Day holidays escalates 3 working days later: on the adjusted Saturday, not on a plain Monday', async () => {
      const e = await enterprise('441900119');
      clock.set('2026-09-30T02:00:00Z');
      ok(await city.query(REPORT, { r: [labourReport(e.uscc, '2026-09', { wageArrearsDays: 31, rentArrearsMonths: 1 })] }, hr));
      await score('2026-09');
      const status = async () => {
        ok(await city.query(`mutation { escalateOverdueRiskAlerts }`, {}, admin));
        return (await alertsOf('441900119', e.uscc)).map((a: { status: string }) => a.status);
      };
      expect(await status()).toEqual(['OPEN']);
      clock.set('2026-10-06T02:00:00Z'); // three weekdays later, all holidays
      expect(await status()).toEqual(['OPEN']);
      clock.set('2026-10-10T01:59:00Z');
      expect(await status()).toEqual(['OPEN']);
      clock.set('2026-10-10T02:00:00Z'); // Thu 8, Fri 9, and Sat 10, a working day in 2026
      expect(await status()).toEqual(['ESCALATED']);
    });

    it('fails loudly for a year without a calendar instead of counting Monday to Friday', async () => {
      const e = await enterprise('441900121');
      clock.set('2027-12-29T02:00:00Z');
      ok(await city.query(REPORT, { r: [labourReport(e.uscc, '2027-12', { wageArrearsDays: 31, rentArrearsMonths: 1 })] }, hr));
      await score('2027-12');
      clock.set('2028-01-10T02:00:00Z');
      expect(codes(await city.query(`mutation { escalateOverdueRiskAlerts }`, {}, admin))).toEqual(['INVALID_STATE']);
      expect((await alertsOf('441900121', e.uscc)).map((a: { status: string }) => a.status)).toEqual(['OPEN']);
      // cleaned up, so the alert does not stand in the way of the scheduled escalation of others
      await ec().query(`UPDATE enterprise_credit.risk_alerts SET status = 'RESOLVED' WHERE uscc = $1`, [e.uscc]);
    });
  });
});
