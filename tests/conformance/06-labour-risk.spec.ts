/**
 * docs/domain/06-labour-risk.md, rule by rule. The bands, levels and overrides are the labour-risk
 * scheme the enterprise-credit migrations seed, read back from a migrated database; the scoring is
 * the subgraph's reference function the scoring job's SQL is tested against.
 */
import { randomBytes } from 'node:crypto';
import { createTestDatabase, openSubgraphDataSource, type TestDatabase } from '@citypoints/db';
import { CALM_LABOUR_MONTH } from '@citypoints/testing';
import type { DataSource } from 'typeorm';
import { migrations } from '../../subgraphs/enterprise-credit/src/index';
import { labourRiskScheme, labourRiskSchemeVersionFor, type LabourRiskScheme } from '../../subgraphs/enterprise-credit/src/labour/labour.scheme';
import { guidanceOf, scoreIndicators, type IndicatorValues } from '../../subgraphs/enterprise-credit/src/labour/labour.rules';

let db: TestDatabase;
let ds: DataSource;
let scheme: LabourRiskScheme;

const score = (o: Partial<IndicatorValues>) => scoreIndicators(scheme, { ...CALM_LABOUR_MONTH, ...o });

beforeAll(async () => {
  db = await createTestDatabase('conf_labour');
  ds = await openSubgraphDataSource({ url: db.url, schema: 'enterprise_credit', entities: [], migrations: migrations(randomBytes(32)) });
  await ds.runMigrations();
  scheme = await labourRiskScheme(ds, await labourRiskSchemeVersionFor(ds, '2026-05'));
});
afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

describe('§6 Scoring: each indicator scores by band', () => {
  it('a calm month scores 0 and is NORMAL', () => {
    expect(score({})).toMatchObject({ score: 0, level: 'NORMAL' });
  });

  it('longer wage arrears score more', () => {
    const s = [0, 1, 30, 31, 60, 61, 200].map((d) => score({ wageArrearsDays: d }).score);
    expect(s).toEqual([0, 20, 20, 35, 35, 50, 50]);
  });

  it('more workers owed score more', () => {
    expect([9, 10, 49, 50].map((n) => score({ workersOwed: n }).score)).toEqual([0, 10, 10, 20]);
  });

  it('a pay cycle over 35 days scores', () => {
    expect([35, 36].map((d) => score({ payCycleDays: d }).score)).toEqual([0, 10]);
  });

  it('more months of rent, insurance or tax arrears score more', () => {
    expect([0, 1, 2, 3, 6].map((m) => score({ rentArrearsMonths: m }).score)).toEqual([0, 5, 10, 20, 20]);
    expect([1, 2, 3].map((m) => score({ socialInsuranceArrearsMonths: m }).score)).toEqual([5, 10, 20]);
    expect([1, 2, 5].map((m) => score({ taxArrearsMonths: m }).score)).toEqual([5, 10, 10]);
  });

  it('more petitions score more', () => {
    expect([0, 1, 2, 4, 5].map((n) => score({ petitions: n }).score)).toEqual([0, 5, 15, 15, 25]);
  });

  it('a lower electricity ratio scores more', () => {
    expect([1, 0.7, 0.69, 0.5, 0.49, 0.3, 0.29].map((r) => score({ electricityRatio: r }).score)).toEqual([0, 0, 10, 10, 20, 20, 30]);
  });
});

describe('§6 The sum gives the level', () => {
  it('NORMAL (0–19), PROBLEM (20–39), RISK (40–59), DANGER (60–79), CRITICAL (80 and over)', () => {
    expect(scheme.levels.map((l) => [l.level, l.minScore])).toEqual([
      ['NORMAL', 0],
      ['PROBLEM', 20],
      ['RISK', 40],
      ['DANGER', 60],
      ['CRITICAL', 80],
    ]);
    const cases: [Partial<IndicatorValues>, number, string][] = [
      [{ rentArrearsMonths: 3 }, 20, 'PROBLEM'],
      [{ rentArrearsMonths: 2, taxArrearsMonths: 1 }, 15, 'NORMAL'],
      [{ rentArrearsMonths: 3, socialInsuranceArrearsMonths: 3 }, 40, 'RISK'],
      [{ wageArrearsDays: 10, rentArrearsMonths: 3, petitions: 1, taxArrearsMonths: 1 }, 50, 'RISK'],
      [{ rentArrearsMonths: 3, socialInsuranceArrearsMonths: 3, electricityRatio: 0.4 }, 60, 'DANGER'],
      [{ rentArrearsMonths: 3, socialInsuranceArrearsMonths: 3, petitions: 5 }, 65, 'DANGER'],
      [{ rentArrearsMonths: 3, socialInsuranceArrearsMonths: 3, petitions: 5, payCycleDays: 40, taxArrearsMonths: 1 }, 80, 'CRITICAL'],
    ];
    for (const [v, total, level] of cases) expect(score(v)).toMatchObject({ score: total, level });
  });
});

describe('§6 Overrides raise the level regardless of the sum', () => {
  it('a group incident is CRITICAL', () => {
    expect(score({ groupIncident: true })).toMatchObject({ score: 0, level: 'CRITICAL' });
  });

  it('an electricity ratio below 0.3 together with any wage arrears (the owner may have fled) is CRITICAL', () => {
    expect(score({ electricityRatio: 0.2, wageArrearsDays: 1 })).toMatchObject({ score: 50, level: 'CRITICAL' });
    expect(score({ electricityRatio: 0.2 })).toMatchObject({ score: 30, level: 'PROBLEM' });
    expect(score({ electricityRatio: 0.3, wageArrearsDays: 1 }).level).toBe('RISK');
  });

  it('wage arrears over 60 days is at least DANGER', () => {
    expect(score({ wageArrearsDays: 61 })).toMatchObject({ score: 50, level: 'DANGER' });
    expect(score({ wageArrearsDays: 60 })).toMatchObject({ score: 35, level: 'PROBLEM' });
    expect(score({ wageArrearsDays: 61, groupIncident: true }).level).toBe('CRITICAL');
  });
});

describe('§6 Guidance per level', () => {
  it('PROBLEM a reminder and a self-check; RISK a visit within 5 working days and a monthly report; DANGER an inspection within 2 working days, weekly monitoring, the wage guarantee deposit; CRITICAL a joint task force the same day, an emergency wage advance, the police', () => {
    expect(guidanceOf(scheme, 'PROBLEM')).toMatch(/remind.*self-check/);
    expect(guidanceOf(scheme, 'RISK')).toMatch(/visit within 5 working days.*monthly report/);
    expect(guidanceOf(scheme, 'DANGER')).toMatch(/inspect within 2 working days.*weekly monitoring.*wage guarantee deposit/);
    expect(guidanceOf(scheme, 'CRITICAL')).toMatch(/joint task force the same day.*emergency wage advance.*police/);
  });
});

describe('§6 Alerts', () => {
  it('When the level rises to RISK or above, its town\'s labour regulators get an alert', () => {
    expect(scheme.levels.filter((l) => l.raisesAlert).map((l) => l.level)).toEqual(['RISK', 'DANGER', 'CRITICAL']);
  });

  it('When the reports of an enterprise last at PROBLEM or above stop for two months running, a "reports stopped" alert is raised', () => {
    expect(scheme.reportsStopped).toMatchObject({ afterMonths: 2, minLevel: 'PROBLEM' });
  });

  it('An alert not acknowledged in time (24 hours for CRITICAL, 3 working days otherwise) escalates to the city', () => {
    const esc = Object.fromEntries(scheme.levels.filter((l) => l.raisesAlert).map((l) => [l.level, [l.escalateAfterHours, l.escalateAfterWorkingDays]]));
    expect(esc).toEqual({ RISK: [null, 3], DANGER: [null, 3], CRITICAL: [24, null] });
  });
});
