/**
 * docs/domain/07-social-organisations.md, rule by rule. The caps, deductions, grade boundaries,
 * rewards and credit consequences are the grading scheme the social-organisations migrations seed,
 * read back from a migrated database and applied by the subgraph's own grading rules.
 */
import { createTestDatabase, openSubgraphDataSource, type TestDatabase } from '@citypoints/db';
import type { DataSource } from 'typeorm';
import { Init1764600000000 } from '../../subgraphs/social-organisations/src/migrations/1764600000000-Init';
import { CallerScopedKeys1764600000100 } from '../../subgraphs/social-organisations/src/migrations/1764600000100-CallerScopedKeys';
import { BlacklistingLifts1764600000200 } from '../../subgraphs/social-organisations/src/migrations/1764600000200-BlacklistingLifts';
import { GradingRunItems1764600000300 } from '../../subgraphs/social-organisations/src/migrations/1764600000300-GradingRunItems';
import { EventVersions1764900000000 } from '../../subgraphs/social-organisations/src/migrations/1764900000000-EventVersions';
import { EventTraceContext1765000000000 } from '../../subgraphs/social-organisations/src/migrations/1765000000000-EventTraceContext';
import { schemeDefinition, type SchemeDefinition } from '../../subgraphs/social-organisations/src/scheme/scheme.rules';
import { computeGrading, creditFor, rewardPlaces, type IndicatorFact, type MemberEffectFact } from '../../subgraphs/social-organisations/src/grading/grading.rules';

let db: TestDatabase;
let ds: DataSource;
let def: SchemeDefinition;

const FULL: IndicatorFact[] = [
  { category: 'BASIC_WORK', points: 30 },
  { category: 'POLITICAL_ORIENTATION', points: 20 },
  { category: 'INDUSTRY_SELF_DISCIPLINE', points: 20 },
  { category: 'SOCIAL_GOVERNANCE', points: 15 },
  { category: 'LIVELIHOOD', points: 15 },
];
const grade = (indicators: IndicatorFact[], violations: number[] = [], effects: MemberEffectFact[] = []) =>
  computeGrading(def, { indicators, violations: violations.map((severity) => ({ severity, note: null })), effects });
const effect = (o: Partial<MemberEffectFact>): MemberEffectFact => ({ effect: 'MEMBER_PENALTY', enterpriseUscc: '91441900MA0000001X', recordKind: 'PENALTY', reference: 'r1', removed: false, ...o });

beforeAll(async () => {
  db = await createTestDatabase('conf_social_orgs');
  ds = await openSubgraphDataSource({
    url: db.url,
    schema: 'social_organisations',
    entities: [],
    migrations: [Init1764600000000, CallerScopedKeys1764600000100, BlacklistingLifts1764600000200, GradingRunItems1764600000300, EventVersions1764900000000, EventTraceContext1765000000000],
  });
  await ds.runMigrations();
  const [row] = await ds.query(`SELECT definition FROM social_organisations.grading_schemes ORDER BY effective_from_year DESC, version DESC LIMIT 1`);
  def = schemeDefinition.parse(row.definition);
});
afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

describe('§7 Positive points', () => {
  it('each category capped: basic work 30, political orientation 20, industry self-discipline 20, social governance 15, livelihood support 15', () => {
    expect(def.categories.map((c) => [c.code, c.cap])).toEqual([
      ['BASIC_WORK', 30],
      ['POLITICAL_ORIENTATION', 20],
      ['INDUSTRY_SELF_DISCIPLINE', 20],
      ['SOCIAL_GOVERNANCE', 15],
      ['LIVELIHOOD', 15],
    ]);
    const g = grade([{ category: 'BASIC_WORK', points: 25 }, { category: 'BASIC_WORK', points: 25 }, { category: 'LIVELIHOOD', points: 9 }]);
    expect(g.lines.find((l) => l.category === 'BASIC_WORK')).toMatchObject({ points: 30, capped: true });
    expect(g.lines.find((l) => l.category === 'LIVELIHOOD')).toMatchObject({ points: 9, capped: false });
    expect(g.points).toBe(39);
  });

  it('at most 100 in all', () => {
    expect(grade([...FULL, ...FULL]).points).toBe(100);
  });
});

describe('§7 Negative points', () => {
  it("the organisation's own violations (10 to 30 each by severity)", () => {
    expect(def.violation).toEqual({ minSeverity: 10, maxSeverity: 30 });
    expect(grade(FULL, [10, 30]).points).toBe(60);
  });

  it("a member enterprise's new penalty or severe penalty (5 each)", () => {
    expect(grade(FULL, [], [effect({ recordKind: 'PENALTY' }), effect({ recordKind: 'SEVERE_PENALTY', reference: 'r2' })]).points).toBe(90);
  });

  it('a member enterprise turning BLACK (10 each time)', () => {
    const turns = [effect({ effect: 'MEMBER_BLACKLISTED', recordKind: null, reference: '2026-02-01' }), effect({ effect: 'MEMBER_BLACKLISTED', recordKind: null, reference: '2026-05-01' })];
    expect(grade(FULL, [], turns).points).toBe(80);
  });

  it('Only a repair that lifts the blacklisting removes that line (a removed line no longer counts, and is kept as history)', () => {
    const g = grade(FULL, [], [effect({ effect: 'MEMBER_BLACKLISTED', recordKind: null, reference: '2026-02-01', removed: true })]);
    expect(g.points).toBe(100);
    expect(g.removedLines).toEqual([expect.objectContaining({ category: 'MEMBER_BLACKLISTED', points: -10 })]);
  });
});

describe('§7 Grades', () => {
  it('GREEN at 80 or more, YELLOW from 60 to 79, RED below 60, each with its level of supervision', () => {
    const at = (points: number) => grade([{ category: 'BASIC_WORK', points: 30 }, { category: 'POLITICAL_ORIENTATION', points: 20 }, { category: 'INDUSTRY_SELF_DISCIPLINE', points: 20 }, { category: 'SOCIAL_GOVERNANCE', points: 15 }, { category: 'LIVELIHOOD', points: points - 85 }]);
    expect([at(100), at(80)].map((g) => g.grade)).toEqual(['GREEN', 'GREEN']);
    const yellow = grade(FULL, [21]);
    expect([yellow.points, yellow.grade]).toEqual([79, 'YELLOW']);
    expect(grade(FULL, [30, 10]).grade).toBe('YELLOW');
    const red = grade(FULL, [30, 11]);
    expect([red.points, red.grade]).toEqual([59, 'RED']);
    expect(at(100).supervision).toMatch(/routine/);
    expect(yellow.supervision).toMatch(/half-yearly/);
    expect(red.supervision).toMatch(/rectification plan and inspection/);
  });

  it("The year's top three chambers receive a funding reward (amounts are data)", () => {
    const graded = [
      { uscc: 'A', kind: 'CHAMBER_OF_COMMERCE', points: 70 },
      { uscc: 'B', kind: 'CHAMBER_OF_COMMERCE', points: 95 },
      { uscc: 'C', kind: 'INDUSTRY_ASSOCIATION', points: 99 },
      { uscc: 'D', kind: 'CHAMBER_OF_COMMERCE', points: 88 },
      { uscc: 'E', kind: 'CHAMBER_OF_COMMERCE', points: 60 },
    ];
    const places = rewardPlaces(def, graded);
    expect([...places.entries()].map(([u, p]) => [u, p.rank, p.amount])).toEqual(def.reward.places.map((p, i) => [['B', 'D', 'A'][i], p.rank, p.amount]));
    expect(places.has('C')).toBe(false);
  });

  it('an organisation below 40 is flagged for guided exit', () => {
    expect(def.exitBelow).toBe(40);
    expect(grade([{ category: 'BASIC_WORK', points: 30 }, { category: 'LIVELIHOOD', points: 10 }]).exitFlagged).toBe(false);
    expect(grade([{ category: 'BASIC_WORK', points: 30 }, { category: 'LIVELIHOOD', points: 9 }]).exitFlagged).toBe(true);
  });

  it('Green organisations get priority for government-commissioned work and funding; red ones are kept out of public-welfare bidding and government purchase of services', () => {
    expect(creditFor(def, 'GREEN', 'GOVERNMENT_COMMISSIONED_WORK')).toMatchObject({ allowed: true, priority: true });
    expect(creditFor(def, 'GREEN', 'GOVERNMENT_FUNDING')).toMatchObject({ allowed: true, priority: true });
    expect(creditFor(def, 'YELLOW', 'GOVERNMENT_FUNDING')).toMatchObject({ allowed: true, priority: false });
    expect(creditFor(def, 'RED', 'PUBLIC_WELFARE_BIDDING').allowed).toBe(false);
    expect(creditFor(def, 'RED', 'GOVERNMENT_PURCHASE_OF_SERVICES').allowed).toBe(false);
    expect(creditFor(def, 'RED', 'GOVERNMENT_FUNDING').allowed).toBe(true);
  });
});
