import { DEFAULT_LABOUR_RISK_SCHEME } from '../src/seed/schemes.data';
import { reasonsOf, scoreIndicators, type IndicatorValues } from '../src/labour/labour.rules';
import type { LabourRiskScheme } from '../src/labour/labour.scheme';
import { CALM_LABOUR_MONTH } from '@citypoints/testing';

/** The seeded default scheme, ids as the migration's serials give them. */
const scheme: LabourRiskScheme = {
  version: 1,
  code: DEFAULT_LABOUR_RISK_SCHEME.code,
  reportsStopped: DEFAULT_LABOUR_RISK_SCHEME.reportsStopped as LabourRiskScheme['reportsStopped'],
  bands: DEFAULT_LABOUR_RISK_SCHEME.bands.map((b, i) => ({ ...b, id: i + 1 })) as LabourRiskScheme['bands'],
  levels: DEFAULT_LABOUR_RISK_SCHEME.levels as LabourRiskScheme['levels'],
  overrides: DEFAULT_LABOUR_RISK_SCHEME.overrides.map((o, i) => ({ ...o, id: i + 1 })) as LabourRiskScheme['overrides'],
};

const score = (o: Partial<IndicatorValues>) => scoreIndicators(scheme, { ...CALM_LABOUR_MONTH, ...o });

describe('labour-risk scoring table (docs/domain/06-labour-risk.md)', () => {
  it.each([
    ['wage arrears 0 days', { wageArrearsDays: 0 }, 0],
    ['wage arrears 1 day', { wageArrearsDays: 1 }, 20],
    ['wage arrears 30 days', { wageArrearsDays: 30 }, 20],
    ['wage arrears 31 days', { wageArrearsDays: 31 }, 35],
    ['wage arrears 60 days', { wageArrearsDays: 60 }, 35],
    ['wage arrears 61 days', { wageArrearsDays: 61 }, 50],
    ['9 workers owed', { workersOwed: 9 }, 0],
    ['10 workers owed', { workersOwed: 10 }, 10],
    ['49 workers owed', { workersOwed: 49 }, 10],
    ['50 workers owed (instead of +10)', { workersOwed: 50 }, 20],
    ['pay cycle 35 days', { payCycleDays: 35 }, 0],
    ['pay cycle 36 days', { payCycleDays: 36 }, 10],
    ['rent 1 month', { rentArrearsMonths: 1 }, 5],
    ['rent 2 months', { rentArrearsMonths: 2 }, 10],
    ['rent 3 months', { rentArrearsMonths: 3 }, 20],
    ['rent 9 months', { rentArrearsMonths: 9 }, 20],
    ['electricity 0.7', { electricityRatio: 0.7 }, 0],
    ['electricity 0.69', { electricityRatio: 0.69 }, 10],
    ['electricity 0.5', { electricityRatio: 0.5 }, 10],
    ['electricity 0.49', { electricityRatio: 0.49 }, 20],
    ['electricity 0.3', { electricityRatio: 0.3 }, 20],
    ['electricity 0.29', { electricityRatio: 0.29 }, 30],
    ['social insurance 1 month', { socialInsuranceArrearsMonths: 1 }, 5],
    ['social insurance 2 months', { socialInsuranceArrearsMonths: 2 }, 10],
    ['social insurance 3 months', { socialInsuranceArrearsMonths: 3 }, 20],
    ['tax 1 month', { taxArrearsMonths: 1 }, 5],
    ['tax 2 months', { taxArrearsMonths: 2 }, 10],
    ['tax 7 months', { taxArrearsMonths: 7 }, 10],
    ['1 petition', { petitions: 1 }, 5],
    ['2 petitions', { petitions: 2 }, 15],
    ['4 petitions', { petitions: 4 }, 15],
    ['5 petitions', { petitions: 5 }, 25],
  ])('%s gives %d points', (_label, values, points) => {
    expect(score(values).score).toBe(points);
  });

  it.each([
    [{ petitions: 2 }, 15, 'NORMAL'],
    [{ petitions: 2, taxArrearsMonths: 1 }, 20, 'PROBLEM'],
    [{ wageArrearsDays: 31 }, 35, 'PROBLEM'],
    [{ wageArrearsDays: 31, rentArrearsMonths: 1 }, 40, 'RISK'],
    [{ wageArrearsDays: 31, workersOwed: 10, petitions: 1, taxArrearsMonths: 1 }, 55, 'RISK'],
    [{ wageArrearsDays: 31, workersOwed: 10, petitions: 2 }, 60, 'DANGER'],
    [{ wageArrearsDays: 31, workersOwed: 50, petitions: 2, rentArrearsMonths: 1 }, 75, 'DANGER'],
    [{ wageArrearsDays: 31, workersOwed: 50, petitions: 5 }, 80, 'CRITICAL'],
  ] as [Partial<IndicatorValues>, number, string][])('level boundaries: %j scores %d, %s', (values, points, level) => {
    expect(score(values)).toMatchObject({ score: points, level, overrideIds: [] });
  });

  it('a group incident is CRITICAL whatever the score', () => {
    const r = score({ groupIncident: true });
    expect(r).toMatchObject({ score: 0, level: 'CRITICAL', overrideIds: [1] });
  });

  it('electricity below 0.3 with any wage arrears is CRITICAL (the owner may have fled)', () => {
    expect(score({ electricityRatio: 0.29, wageArrearsDays: 1 })).toMatchObject({ score: 50, level: 'CRITICAL', overrideIds: [2] });
    expect(score({ electricityRatio: 0.29 })).toMatchObject({ score: 30, level: 'PROBLEM', overrideIds: [] });
    expect(score({ electricityRatio: 0.3, wageArrearsDays: 1 })).toMatchObject({ score: 40, level: 'RISK', overrideIds: [] });
  });

  it('wage arrears over 60 days is at least DANGER', () => {
    expect(score({ wageArrearsDays: 61 })).toMatchObject({ score: 50, level: 'DANGER', overrideIds: [3] });
    expect(score({ wageArrearsDays: 60 })).toMatchObject({ score: 35, level: 'PROBLEM', overrideIds: [] });
    expect(score({ wageArrearsDays: 61, workersOwed: 50, petitions: 1, taxArrearsMonths: 1 }).level).toBe('CRITICAL');
  });

  it('explains a score line by line from the bands and overrides that applied', () => {
    const r = score({ wageArrearsDays: 61, workersOwed: 12 });
    expect(reasonsOf(scheme, r.bandIds, r.overrideIds)).toEqual([
      'wages over 60 days overdue: +50',
      '10 or more workers owed wages: +10',
      'wages over 60 days overdue: at least DANGER (at least DANGER)',
    ]);
  });
});
