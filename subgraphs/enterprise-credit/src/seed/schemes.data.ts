/**
 * The default schemes of docs/domain/05-enterprise-credit.md and 06-labour-risk.md, as the seed migration writes them. A city publishes
 * its own versions as new rows; these stay to explain what was computed under them.
 */
/** The departments that regulate enterprises and may record administrative penalties. */
export const REGULATING_DEPARTMENTS = [
  'MARKET_REGULATION',
  'EMERGENCY_MANAGEMENT',
  'FIRE_RESCUE',
  'HUMAN_RESOURCES',
  'TAXATION',
  'ECOLOGY_ENVIRONMENT',
  'HOUSING_CONSTRUCTION',
  'TRANSPORT',
  'HEALTH',
  'NATURAL_RESOURCES',
  'AGRICULTURE',
  'WATER_AFFAIRS',
  'URBAN_MANAGEMENT',
  'CULTURE_TOURISM',
  'EDUCATION',
  'CUSTOMS',
  'PUBLIC_SECURITY',
];

export const DEFAULT_CREDIT_SCHEME = {
  version: 1,
  code: 'DG-CREDIT',
  effectiveFrom: '2017-01-01',
  definition: {
    kinds: {
      PENALTY: { negative: true, minMonths: 3, maxMonths: 36, defaultMonths: 12, repairAfterMonths: 3, areaMinMonths: { WORK_SAFETY: 12, FIRE_SAFETY: 12, SPECIAL_EQUIPMENT: 12 } },
      SEVERE_PENALTY: { negative: true, minMonths: 3, maxMonths: 36, defaultMonths: 36, repairAfterMonths: 3, areaMinMonths: { WORK_SAFETY: 12, FIRE_SAFETY: 12, SPECIAL_EQUIPMENT: 12 } },
      DISHONEST_DEBTOR: { negative: true, openEnded: true, repairAfterMonths: 0 },
      WAGE_ARREARS_BLACKLIST: { negative: true, minMonths: 36, maxMonths: 36, defaultMonths: 36, repairAfterMonths: 6, earlyRemovalRequires: ['wagesPaid', 'pledgeSigned'] },
      A_TAXPAYER: { negative: false, minMonths: 12, maxMonths: 12, defaultMonths: 12 },
      HONOUR: { negative: false, minMonths: 1, maxMonths: 36, defaultMonths: 12 },
    },
    // which departments' feeds record each kind (docs/domain/05-enterprise-credit.md): the court its listings, human
    // resources wage-arrears blacklistings, tax its ratings, any regulating department penalties
    recorders: {
      PENALTY: REGULATING_DEPARTMENTS,
      SEVERE_PENALTY: REGULATING_DEPARTMENTS,
      DISHONEST_DEBTOR: ['COURT'],
      WAGE_ARREARS_BLACKLIST: ['HUMAN_RESOURCES'],
      A_TAXPAYER: ['TAXATION'],
      HONOUR: [...REGULATING_DEPARTMENTS, 'INDUSTRY_INFORMATION', 'COMMERCE', 'SCIENCE_TECHNOLOGY'],
    },
    status: {
      blackKinds: ['WAGE_ARREARS_BLACKLIST', 'DISHONEST_DEBTOR', 'SEVERE_PENALTY'],
      watchPenaltyKinds: ['PENALTY'],
      watchPenaltyCount: 2,
      watchRiskLevels: ['DANGER', 'CRITICAL'],
      redKinds: ['A_TAXPAYER', 'HONOUR'],
      redWindowMonths: 12,
      redCleanMonths: 36,
      redRiskLevels: ['NORMAL'],
    },
    measures: {
      BLACK: { restrictions: ['GOVERNMENT_PROCUREMENT', 'CONSTRUCTION', 'BIDDING', 'HEALTHCARE'], incentives: [], notes: ['listed as operating abnormally'] },
      WATCH: { restrictions: [], incentives: [], notes: ['under closer supervision'] },
      NORMAL: { restrictions: [], incentives: [], notes: [] },
      RED: { restrictions: [], incentives: ['priority handling', 'simplified procedures', 'green channel'], notes: [] },
    },
  },
};

type Band = { indicator: string; lo: number | null; hi: number | null; points: number; label: string };

export const DEFAULT_LABOUR_RISK_SCHEME = {
  version: 1,
  code: 'DG-LABOUR-RISK',
  effectiveFrom: '2017-01-01',
  // an enterprise last at PROBLEM or above whose reports stop for 2 months in a row raises
  // "reports stopped since YYYY-MM" at its last level (docs/domain/06-labour-risk.md)
  reportsStopped: { afterMonths: 2, minLevel: 'PROBLEM' },
  bands: [
    { indicator: 'wage_arrears_days', lo: 0, hi: 1, points: 0, label: 'no wage arrears' },
    { indicator: 'wage_arrears_days', lo: 1, hi: 31, points: 20, label: 'wages 1–30 days overdue' },
    { indicator: 'wage_arrears_days', lo: 31, hi: 61, points: 35, label: 'wages 31–60 days overdue' },
    { indicator: 'wage_arrears_days', lo: 61, hi: null, points: 50, label: 'wages over 60 days overdue' },
    { indicator: 'workers_owed', lo: 10, hi: 50, points: 10, label: '10 or more workers owed wages' },
    { indicator: 'workers_owed', lo: 50, hi: null, points: 20, label: '50 or more workers owed wages' },
    { indicator: 'pay_cycle_days', lo: 36, hi: null, points: 10, label: 'pay cycle over 35 days' },
    { indicator: 'rent_arrears_months', lo: 1, hi: 2, points: 5, label: 'rent 1 month in arrears' },
    { indicator: 'rent_arrears_months', lo: 2, hi: 3, points: 10, label: 'rent 2 months in arrears' },
    { indicator: 'rent_arrears_months', lo: 3, hi: null, points: 20, label: 'rent 3 or more months in arrears' },
    { indicator: 'electricity_ratio', lo: 0.7, hi: null, points: 0, label: 'electricity use at 70% or more of its average' },
    { indicator: 'electricity_ratio', lo: 0.5, hi: 0.7, points: 10, label: 'electricity use at 50–70% of its average' },
    { indicator: 'electricity_ratio', lo: 0.3, hi: 0.5, points: 20, label: 'electricity use at 30–50% of its average' },
    { indicator: 'electricity_ratio', lo: null, hi: 0.3, points: 30, label: 'electricity use below 30% of its average' },
    { indicator: 'social_insurance_arrears_months', lo: 1, hi: 2, points: 5, label: 'social insurance 1 month in arrears' },
    { indicator: 'social_insurance_arrears_months', lo: 2, hi: 3, points: 10, label: 'social insurance 2 months in arrears' },
    { indicator: 'social_insurance_arrears_months', lo: 3, hi: null, points: 20, label: 'social insurance 3 or more months in arrears' },
    { indicator: 'tax_arrears_months', lo: 1, hi: 2, points: 5, label: 'tax 1 month in arrears' },
    { indicator: 'tax_arrears_months', lo: 2, hi: null, points: 10, label: 'tax 2 or more months in arrears' },
    { indicator: 'petitions', lo: 1, hi: 2, points: 5, label: '1 labour petition this month' },
    { indicator: 'petitions', lo: 2, hi: 5, points: 15, label: '2–4 labour petitions this month' },
    { indicator: 'petitions', lo: 5, hi: null, points: 25, label: '5 or more labour petitions this month' },
  ] as Band[],
  levels: [
    { level: 'NORMAL', rank: 1, minScore: 0, raisesAlert: false, escalateAfterHours: null, escalateAfterWorkingDays: null, guidance: 'no action needed' },
    { level: 'PROBLEM', rank: 2, minScore: 20, raisesAlert: false, escalateAfterHours: null, escalateAfterWorkingDays: null, guidance: 'remind the enterprise and ask for a self-check' },
    { level: 'RISK', rank: 3, minScore: 40, raisesAlert: true, escalateAfterHours: null, escalateAfterWorkingDays: 3, guidance: 'visit within 5 working days; monthly report' },
    { level: 'DANGER', rank: 4, minScore: 60, raisesAlert: true, escalateAfterHours: null, escalateAfterWorkingDays: 3, guidance: 'inspect within 2 working days; weekly monitoring; check the wage guarantee deposit' },
    { level: 'CRITICAL', rank: 5, minScore: 80, raisesAlert: true, escalateAfterHours: 24, escalateAfterWorkingDays: null, guidance: 'joint task force the same day; emergency wage advance; notify the police' },
  ],
  overrides: [
    { minLevel: 'CRITICAL', conditions: [{ indicator: 'group_incident', lo: 1, hi: null }], label: 'a group incident happened' },
    {
      minLevel: 'CRITICAL',
      conditions: [
        { indicator: 'electricity_ratio', lo: null, hi: 0.3 },
        { indicator: 'wage_arrears_days', lo: 1, hi: null },
      ],
      label: 'electricity use below 30% with wages in arrears: the owner may have fled',
    },
    { minLevel: 'DANGER', conditions: [{ indicator: 'wage_arrears_days', lo: 61, hi: null }], label: 'wages over 60 days overdue: at least DANGER' },
  ],
};
