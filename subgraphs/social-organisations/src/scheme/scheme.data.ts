import type { SchemeDefinition } from './scheme.rules';

/**
 * The default grading scheme of docs/domain/07-social-organisations.md, seeded by the first migration. Only the migration
 * (and the unit tests of the rules) read it: services read the scheme rows, so a city's newer
 * version replaces it for the years it covers and this one keeps explaining earlier grades.
 */
export const DEFAULT_SCHEME = {
  code: 'DG-SOCIAL-ORG',
  version: 1,
  effectiveFromYear: 2000,
  definition: {
    categories: [
      { code: 'BASIC_WORK', label: '基础工作', cap: 30 },
      { code: 'POLITICAL_ORIENTATION', label: '政治方向', cap: 20 },
      { code: 'INDUSTRY_SELF_DISCIPLINE', label: '行业自律', cap: 20 },
      { code: 'SOCIAL_GOVERNANCE', label: '社会治理', cap: 15 },
      { code: 'LIVELIHOOD', label: '民生保障', cap: 15 },
    ],
    violation: { minSeverity: 10, maxSeverity: 30 },
    memberEffects: { recordKinds: { PENALTY: 5, SEVERE_PENALTY: 5 }, blacklisting: 10 },
    grades: [
      { grade: 'GREEN', minPoints: 80, supervision: 'routine supervision' },
      { grade: 'YELLOW', minPoints: 60, supervision: 'half-yearly supervision talk' },
      { grade: 'RED', minPoints: null, supervision: 'rectification plan and inspection' },
    ],
    reward: {
      kind: 'CHAMBER_OF_COMMERCE',
      places: [
        { rank: 1, amount: 200000 },
        { rank: 2, amount: 150000 },
        { rank: 3, amount: 100000 },
      ],
    },
    exitBelow: 40,
    credit: {
      GREEN: { priority: ['GOVERNMENT_COMMISSIONED_WORK', 'GOVERNMENT_FUNDING'], excluded: [] },
      YELLOW: { priority: [], excluded: [] },
      RED: { priority: [], excluded: ['PUBLIC_WELFARE_BIDDING', 'GOVERNMENT_PURCHASE_OF_SERVICES'] },
    },
  } satisfies SchemeDefinition,
};
