import { DEFAULT_SCHEME } from '../src/scheme/scheme.data';
import { schemeDefinition } from '../src/scheme/scheme.rules';
import { computeGrading, creditFor, gradeFor, rewardPlaces } from '../src/grading/grading.rules';

const def = schemeDefinition.parse(DEFAULT_SCHEME.definition);
const none = { indicators: [], violations: [], effects: [] };

describe('organisation grading rules (default scheme)', () => {
  it('caps each positive category and says so in its line; the lines add up to the points', () => {
    const g = computeGrading(def, {
      ...none,
      indicators: [
        { category: 'BASIC_WORK', points: 20 },
        { category: 'BASIC_WORK', points: 15 },
        { category: 'LIVELIHOOD', points: 7.5 },
      ],
    });
    const basic = g.lines.find((l) => l.category === 'BASIC_WORK')!;
    expect(basic).toMatchObject({ points: 30, capped: true });
    expect(basic.note).toContain('35 entered, capped at 30');
    expect(g.lines.find((l) => l.category === 'LIVELIHOOD')).toMatchObject({ points: 7.5, capped: false });
    expect(g.lines.filter((l) => l.category !== 'VIOLATION').map((l) => l.category)).toEqual(def.categories.map((c) => c.code));
    expect(g.points).toBe(37.5);
    expect(g.lines.reduce((s, l) => s + l.points, 0)).toBe(g.points);
  });

  it('takes 100 at most from positives however much is entered', () => {
    const g = computeGrading(def, { ...none, indicators: def.categories.map((c) => ({ category: c.code, points: c.cap + 50 })) });
    expect(g.points).toBe(100);
  });

  it('deducts violations by severity, −5 per member penalty, −10 per member blacklisting, and nothing for a lifted one', () => {
    const g = computeGrading(def, {
      indicators: [{ category: 'BASIC_WORK', points: 30 }],
      violations: [{ severity: 12, note: 'late report' }],
      effects: [
        { effect: 'MEMBER_PENALTY', enterpriseUscc: 'E1', recordKind: 'PENALTY', reference: 'r1', removed: false },
        { effect: 'MEMBER_PENALTY', enterpriseUscc: 'E1', recordKind: 'SEVERE_PENALTY', reference: 'r2', removed: false },
        { effect: 'MEMBER_BLACKLISTED', enterpriseUscc: 'E2', recordKind: null, reference: '2031-03-01', removed: false },
        { effect: 'MEMBER_BLACKLISTED', enterpriseUscc: 'E3', recordKind: null, reference: '2031-02-01', removed: true },
      ],
    });
    expect(g.points).toBe(30 - 12 - 5 - 5 - 10);
    expect(g.lines.filter((l) => l.points < 0).map((l) => [l.category, l.points])).toEqual([
      ['VIOLATION', -12],
      ['MEMBER_PENALTY', -5],
      ['MEMBER_PENALTY', -5],
      ['MEMBER_BLACKLISTED', -10],
    ]);
    expect(g.removedLines).toEqual([expect.objectContaining({ category: 'MEMBER_BLACKLISTED', points: -10 })]);
  });

  it.each([
    [100, 'GREEN'],
    [80, 'GREEN'],
    [79.99, 'YELLOW'],
    [60, 'YELLOW'],
    [59.5, 'RED'],
    [-20, 'RED'],
  ])('grades %p points %s', (points, grade) => {
    expect(gradeFor(def, points).grade).toBe(grade);
  });

  it('flags below 40 for guided exit, not 40 itself, and names the supervision of the grade', () => {
    const at = (p: number) => computeGrading(def, { ...none, indicators: [{ category: 'BASIC_WORK', points: 30 }, { category: 'POLITICAL_ORIENTATION', points: p }] });
    expect(at(10).exitFlagged).toBe(false);
    expect(at(9.99).exitFlagged).toBe(true);
    expect(at(10).supervision).toBe('rectification plan and inspection');
  });

  it('rewards the top 3 chambers of commerce only, ties broken by USCC', () => {
    const places = rewardPlaces(def, [
      { uscc: 'A', kind: 'INDUSTRY_ASSOCIATION', points: 99 },
      { uscc: 'D', kind: 'CHAMBER_OF_COMMERCE', points: 70 },
      { uscc: 'C', kind: 'CHAMBER_OF_COMMERCE', points: 90 },
      { uscc: 'B', kind: 'CHAMBER_OF_COMMERCE', points: 90 },
      { uscc: 'E', kind: 'CHAMBER_OF_COMMERCE', points: 60 },
    ]);
    expect([...places.entries()]).toEqual([
      ['B', { rank: 1, amount: 200000 }],
      ['C', { rank: 2, amount: 150000 }],
      ['D', { rank: 3, amount: 100000 }],
    ]);
  });

  it('gives green priority for commissioned work and keeps red out of public-welfare bidding and purchase of services', () => {
    expect(creditFor(def, 'GREEN', 'GOVERNMENT_COMMISSIONED_WORK')).toMatchObject({ allowed: true, priority: true });
    expect(creditFor(def, 'YELLOW', 'GOVERNMENT_COMMISSIONED_WORK')).toMatchObject({ allowed: true, priority: false });
    expect(creditFor(def, 'RED', 'PUBLIC_WELFARE_BIDDING')).toMatchObject({ allowed: false, priority: false });
    expect(creditFor(def, 'RED', 'GOVERNMENT_PURCHASE_OF_SERVICES').allowed).toBe(false);
    expect(creditFor(def, 'RED', 'GOVERNMENT_FUNDING').allowed).toBe(true);
  });

  it('refuses a scheme whose grade boundaries are out of order or whose last grade has a floor', () => {
    const grades = [...def.grades].reverse();
    expect(schemeDefinition.safeParse({ ...def, grades }).success).toBe(false);
    expect(schemeDefinition.safeParse({ ...def, grades: def.grades.map((g) => ({ ...g, minPoints: 10 })) }).success).toBe(false);
  });
});
