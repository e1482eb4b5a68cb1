import type { SchemeDefinition } from '../schemes/engine';

/**
 * The default schemes shipped with citypoints (docs/domain/01-school-admission.md and 02-household-registration.md), seeded by the first migration as
 * version 1 of their year. A city publishes its own versions through publishPointsScheme.
 */
const yearTiers = [
  { from: 1, to: 2, points: 1 },
  { from: 3, to: 5, points: 2 },
  { from: 6, points: 3 },
];

export const DG_SCHOOL_YEAR = 2015;
export const DG_SCHOOL: SchemeDefinition = {
  barYears: 3,
  applicationWindow: { opensMonthDay: '09-01', closesMonthDay: '05-31' },
  childAge: { min: 6, max: 18, onMonthDay: '09-01' },
  tieBreakers: ['SOCIAL_INSURANCE_TYPE_YEARS', 'RESIDENCE_YEARS'],
  categories: [{ code: 'TAX', label: '纳税（五项合计）', cap: 100 }],
  items: [
    { code: 'EDUCATION', label: '文化程度', kind: 'OPTION', options: { HIGH_SCHOOL_OR_BELOW: 30, COLLEGE: 60, BACHELOR: 80, MASTER_OR_ABOVE: 100 } },
    {
      code: 'QUALIFICATION',
      label: '技能或职称（取最高）',
      kind: 'OPTION',
      options: { JUNIOR_WORKER: 10, INTERMEDIATE_WORKER: 30, SENIOR_WORKER_OR_JUNIOR_TITLE: 50, TECHNICIAN_OR_MID_TITLE: 70, SENIOR_TECHNICIAN_OR_SENIOR_TITLE: 100, PRACTISING_LICENCE: 50 },
    },
    { code: 'WORK_YEARS', label: '在莞工作年限', kind: 'TIERED', tiers: yearTiers, cap: null },
    { code: 'RESIDENCE_YEARS', label: '在莞居住年限', kind: 'TIERED', tiers: yearTiers, cap: null },
    { code: 'SOCIAL_INSURANCE_TYPE_YEARS', label: '社会保险（险种·年）', kind: 'PER_UNIT', unit: 1, points: 1.5, cap: null },
    { code: 'SALARY_TAX_3Y', label: '近三年工资薪金个税', kind: 'STEP', category: 'TAX', steps: [{ min: 3000, points: 10 }, { min: 4000, points: 20 }, { min: 5000, points: 30 }] },
    { code: 'OTHER_INCOME_TAX_3Y', label: '近三年其他所得个税', kind: 'PER_UNIT', category: 'TAX', unit: 1000, points: 1, cap: 10 },
    { code: 'SOLE_TRADER_TAX_3Y', label: '近三年个体工商户纳税', kind: 'PER_UNIT', category: 'TAX', unit: 1000, points: 1, cap: 30 },
    { code: 'COMPANY_TAX_SHARE_3Y', label: '近三年企业纳税（个人份额）', kind: 'PER_UNIT', category: 'TAX', unit: 30000, points: 10, cap: 30 },
    { code: 'DEED_TAX', label: '契税', kind: 'PER_UNIT', category: 'TAX', unit: 1000, points: 1, cap: 30 },
    { code: 'BLOOD_DONATIONS_5Y', label: '近五年献血', kind: 'PER_UNIT', unit: 1, points: 2, cap: 20 },
    { code: 'PARENT_VOLUNTEER_HOURS_5Y', label: '父母近五年志愿服务', kind: 'PER_UNIT', unit: 50, points: 2, cap: 10 },
    { code: 'CHILD_VOLUNTEER_HOURS_5Y', label: '子女近五年志愿服务', kind: 'PER_UNIT', unit: 50, points: 2, cap: 10 },
    { code: 'LOCAL_KINDERGARTEN_YEARS', label: '在莞就读幼儿园年限', kind: 'STEP', steps: [{ min: 1, points: 3 }, { min: 2, points: 6 }, { min: 3, points: 10 }] },
    {
      code: 'LOCAL_SCHOOL_YEARS',
      label: '在莞就读中小学年限',
      kind: 'STEP',
      steps: [{ min: 1, points: 2 }, { min: 2, points: 4 }, { min: 3, points: 8 }, { min: 4, points: 12 }, { min: 5, points: 16 }, { min: 6, points: 20 }, { min: 7, points: 24 }],
    },
    { code: 'HOME_OWNERSHIP', label: '自有住房', kind: 'OPTION', options: { NONE: 0, UP_TO_5_YEARS: 30, OVER_5_YEARS: 40 } },
    { code: 'PATENT', label: '专利', kind: 'BOOLEAN', points: 60 },
    { code: 'SKILL_CONTEST', label: '技能竞赛获奖', kind: 'OPTION', options: { CITY: 40, PROVINCE: 50, NATIONAL: 60 } },
    { code: 'FAMILY_PLANNING_COMPLIANT', label: '符合计划生育政策', kind: 'BOOLEAN', points: 100 },
    { code: 'CRIMINAL_RECORDS_5Y', label: '近五年刑事处罚', kind: 'PER_UNIT', unit: 1, points: -100, cap: null },
    { code: 'CITY_HONOUR_5Y', label: '近五年市级以上表彰', kind: 'BOOLEAN', points: 0, priority: true },
    { code: 'DECORATED_VETERAN', label: '立功退役军人', kind: 'BOOLEAN', points: 0, priority: true },
  ],
};

/**
 * DG-SCHOOL version 2, in force from the 2026 school year (docs/domain/01-school-admission.md, eligibility): the scoring
 * parent must be MIGRANT, and the residence permit and social insurance in the city are 0-point
 * lines that must both be verified when ranking runs. Points are those of version 1.
 */
export const DG_SCHOOL_ELIGIBILITY_YEAR = 2026;
export const DG_SCHOOL_ELIGIBILITY: SchemeDefinition = {
  ...DG_SCHOOL,
  parentHukou: 'MIGRANT',
  eligibility: ['RESIDENCE_PERMIT', 'SOCIAL_INSURANCE'],
  items: [
    ...DG_SCHOOL.items,
    { code: 'RESIDENCE_PERMIT', label: '持有本市居住证', kind: 'BOOLEAN', points: 0 },
    { code: 'SOCIAL_INSURANCE', label: '在本市缴纳社会保险', kind: 'BOOLEAN', points: 0 },
  ],
};

/**
 * The volunteer-hours lines verified from the city's own records (docs/domain/01-school-admission.md,
 * "Verified from the city's own records"): the hours confirmed in volunteering, counted from 5
 * years before the submission for the scoring parent and for the child (when registry knows the
 * child as a resident), all of them for a hukou applicant.
 */
const PARENT_HOURS_FROM_RECORDS = { source: 'volunteering', fact: 'confirmedHours', subject: 'PARENT', windowYears: 5 } as const;
const CHILD_HOURS_FROM_RECORDS = { source: 'volunteering', fact: 'confirmedHours', subject: 'CHILD', windowYears: 5 } as const;
const APPLICANT_HOURS_FROM_RECORDS = { source: 'volunteering', fact: 'confirmedHours', subject: 'APPLICANT' } as const;

const withVerifiedFrom = (def: SchemeDefinition, from: Record<string, NonNullable<SchemeDefinition['items'][number]['verifiedFrom']>>): SchemeDefinition => ({
  ...def,
  items: def.items.map((i) => (from[i.code] ? { ...i, verifiedFrom: from[i.code] } : i)),
});

/**
 * DG-SCHOOL version 3, in force from the 2027 school year (the intake whose applications opened on
 * 1 September 2026; version 2 keeps explaining 2026's): version 2 with the scoring parent's and
 * the child's volunteer hours verified from volunteering. A child registry does not know as a
 * resident has no records: that line stays with the officers.
 */
export const DG_SCHOOL_VERIFIED_YEAR = 2027;
export const DG_SCHOOL_VERIFIED: SchemeDefinition = withVerifiedFrom(DG_SCHOOL_ELIGIBILITY, {
  PARENT_VOLUNTEER_HOURS_5Y: PARENT_HOURS_FROM_RECORDS,
  CHILD_VOLUNTEER_HOURS_5Y: CHILD_HOURS_FROM_RECORDS,
});

export const DG_HUKOU_YEAR = 2016;
export const DG_HUKOU: SchemeDefinition = {
  threshold: 100,
  barYears: 5,
  conditions: [
    'INTERMEDIATE_TITLE',
    'BACHELOR_DEGREE',
    'SENIOR_SKILL_WORKER',
    'TALENT_CARD_HOLDER',
    'CITY_HONOUR',
    'DECORATED_VETERAN',
    'INVENTION_PATENT',
    'INVESTOR_TAX',
    'RETURNING_GRADUATE',
    'SPOUSE_OF_RESIDENT',
  ],
  items: [
    { code: 'EDUCATION', label: '文化程度', kind: 'OPTION', options: { HIGH_SCHOOL: 20, COLLEGE: 60, BACHELOR_OR_ABOVE: 80 } },
    { code: 'SKILL_GRADE', label: '技能等级', kind: 'OPTION', options: { JUNIOR: 30, INTERMEDIATE: 60 } },
    { code: 'SOCIAL_INSURANCE_TYPE_YEARS', label: '社会保险（险种·年）', kind: 'PER_UNIT', unit: 1, points: 2, cap: null },
    { code: 'CITY_YEARS', label: '在莞工作居住年限', kind: 'TIERED', tiers: [{ from: 1, to: 4, points: 4 }, { from: 5, points: 6 }], cap: null },
    { code: 'HOME_TOWN_CLASS', label: '自有住房所在镇街类别', kind: 'OPTION', options: { A: 10, B: 20, C: 30 } },
    {
      code: 'AGE',
      label: '年龄（按身份证出生日期计）',
      kind: 'DERIVED_AGE',
      bands: [{ from: 0, to: 17, points: 0 }, { from: 18, to: 35, points: 5 }, { from: 36, to: 45, points: 1 }, { from: 46, perYear: -3 }],
    },
    { code: 'VOLUNTEER_HOURS', label: '志愿服务', kind: 'PER_UNIT', unit: 50, points: 2, cap: 10 },
    { code: 'BLOOD_DONATIONS', label: '献血', kind: 'PER_UNIT', unit: 1, points: 2, cap: 10 },
    { code: 'CHARITY_YUAN', label: '慈善捐款', kind: 'PER_UNIT', unit: 1000, points: 2, cap: 10 },
    { code: 'INCOME_TAX_YUAN', label: '个人所得税', kind: 'PER_UNIT', unit: 1000, points: 1, cap: 100 },
    { code: 'DEED_TAX_YUAN', label: '契税', kind: 'PER_UNIT', unit: 2000, points: 1, cap: 20 },
    { code: 'PATENT', label: '专利', kind: 'BOOLEAN', points: 100 },
    { code: 'APPLY_TOWN_CLASS', label: '申请入户镇街类别', kind: 'OPTION', options: { A: 0, B: 20, C: 30 } },
    { code: 'OUT_OF_POLICY_BIRTHS', label: '违反计划生育', kind: 'PER_UNIT', unit: 1, points: -60, cap: null },
    { code: 'NON_CRIMINAL_OFFENCES', label: '违法记录（非刑事）', kind: 'PER_UNIT', unit: 1, points: -80, cap: null },
  ],
};

/** DG-HUKOU version 2, in force for applications submitted from 2026 on (scored by their submission year): version 1 with the applicant's volunteer hours verified from volunteering. */
export const DG_HUKOU_VERIFIED_YEAR = 2026;
export const DG_HUKOU_VERIFIED: SchemeDefinition = withVerifiedFrom(DG_HUKOU, { VOLUNTEER_HOURS: APPLICANT_HOURS_FROM_RECORDS });

/** The household procedure (docs/domain/02-household-registration.md): each stage's due date counts from the previous one's. */
export const HUKOU_STAGES: { seq: number; stage: string; amount: number; unit: 'WORKING_DAYS' | 'CALENDAR_DAYS' | 'MONTHS'; office: string }[] = [
  { seq: 1, stage: 'FILE_TO_TOWN', amount: 2, unit: 'WORKING_DAYS', office: 'TOWN_SERVICE_CENTRE' },
  { seq: 2, stage: 'FIRST_REVIEW', amount: 5, unit: 'WORKING_DAYS', office: 'TOWN_HUKOU_OFFICE' },
  { seq: 3, stage: 'POLICE_AND_FAMILY_PLANNING_CHECKS', amount: 3, unit: 'WORKING_DAYS', office: 'POLICE_AND_HEALTH' },
  { seq: 4, stage: 'RESULT', amount: 10, unit: 'WORKING_DAYS', office: 'CITY_HUKOU_OFFICE' },
  { seq: 5, stage: 'PUBLIC_NOTICE', amount: 7, unit: 'CALENDAR_DAYS', office: 'CITY_HUKOU_OFFICE' },
  { seq: 6, stage: 'APPEAL_WINDOW', amount: 30, unit: 'WORKING_DAYS', office: 'CITY_HUKOU_OFFICE' },
  { seq: 7, stage: 'APPEAL_ANSWER', amount: 5, unit: 'WORKING_DAYS', office: 'CITY_HUKOU_OFFICE' },
  { seq: 8, stage: 'HUKOU_REGISTERED', amount: 6, unit: 'MONTHS', office: 'POLICE_HUKOU_DESK' },
];

/** Statutory public holidays (weekdays off) of the years the defaults cover; a city adds its own rows. */
export const HOLIDAYS: [string, string][] = [
  ['2025-01-01', '元旦'], ['2025-01-28', '春节'], ['2025-01-29', '春节'], ['2025-01-30', '春节'], ['2025-01-31', '春节'], ['2025-02-03', '春节'], ['2025-02-04', '春节'],
  ['2025-04-04', '清明节'], ['2025-05-01', '劳动节'], ['2025-05-02', '劳动节'], ['2025-05-05', '劳动节'], ['2025-06-02', '端午节'],
  ['2025-10-01', '国庆节'], ['2025-10-02', '国庆节'], ['2025-10-03', '国庆节'], ['2025-10-06', '国庆节'], ['2025-10-07', '国庆节'], ['2025-10-08', '国庆节'],
  ['2026-01-01', '元旦'], ['2026-01-02', '元旦'], ['2026-02-16', '春节'], ['2026-02-17', '春节'], ['2026-02-18', '春节'], ['2026-02-19', '春节'], ['2026-02-20', '春节'], ['2026-02-23', '春节'],
  ['2026-04-06', '清明节'], ['2026-05-01', '劳动节'], ['2026-05-04', '劳动节'], ['2026-05-05', '劳动节'], ['2026-06-19', '端午节'],
  ['2026-09-25', '中秋节'], ['2026-10-01', '国庆节'], ['2026-10-02', '国庆节'], ['2026-10-05', '国庆节'], ['2026-10-06', '国庆节'], ['2026-10-07', '国庆节'],
];

/** Talent-card quota shares by category (docs/domain/03-talent-card.md), in percent; each share is rounded down. */
export const TALENT_SHARES: [string, number][] = [
  ['INVESTMENT_TAX', 20],
  ['ACADEMIC_SKILL', 40],
  ['ENTERPRISE_RECOMMENDED', 40],
];

export const TALENT_BENEFITS: [string, string][] = [
  ['MEDICAL', '医疗保健绿色通道'],
  ['HOUSING', '人才住房保障'],
  ['BUSINESS_START_UP', '创业扶持'],
  ['PUBLIC_TRANSPORT', '公共交通优惠'],
];
