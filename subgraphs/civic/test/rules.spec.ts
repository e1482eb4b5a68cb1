import { creditFor } from '../src/records/record.rules';
import { recyclablePoints } from '../src/green/green.rules';
import { previousPeriod, monthsOf } from '../src/rhythm/rhythm.jobs';
import { civicRulesSchema, privilegesFor } from '../src/rules/rules.service';
import { DEFAULT_CIVIC_RULES } from '../src/rules/defaults';

describe('credit of a record on approval', () => {
  it('gives the item points when no cap applies', () => {
    expect(creditFor({ requested: 5, monthlyCap: null, creditedThisMonth: 100, floorBalance: 0 })).toEqual({ points: 5, lines: [{ rule: 'ITEM_POINTS', detail: 'item points 5', points: 5 }] });
  });

  it('clips an award to what the monthly cap leaves, down to 0', () => {
    expect(creditFor({ requested: 5, monthlyCap: 12, creditedThisMonth: 10, floorBalance: 0 }).points).toBe(2);
    const none = creditFor({ requested: 5, monthlyCap: 12, creditedThisMonth: 12, floorBalance: 0 });
    expect(none.points).toBe(0);
    expect(none.lines[1]).toEqual({ rule: 'MONTHLY_CAP', detail: 'monthly cap 12, 12 used this month, 0 left', points: 0 });
  });

  it('bounds deductions by the cap in absolute value', () => {
    expect(creditFor({ requested: -5, monthlyCap: 8, creditedThisMonth: -5, floorBalance: null }).points).toBe(-3);
    expect(creditFor({ requested: -5, monthlyCap: 8, creditedThisMonth: 0, floorBalance: null }).points).toBe(-5);
  });

  it('never takes a passbook that may not go negative below 0', () => {
    const r = creditFor({ requested: -5, monthlyCap: null, creditedThisMonth: 0, floorBalance: 2 });
    expect(r.points).toBe(-2);
    expect(r.lines.map((l) => l.rule)).toEqual(['ITEM_POINTS', 'BALANCE_FLOOR']);
    expect(creditFor({ requested: -5, monthlyCap: null, creditedThisMonth: 0, floorBalance: 0 }).points).toBe(0);
  });
});

describe('green passbook', () => {
  it('credits whole points of weight × price', () => {
    expect(recyclablePoints(2500, 1.2)).toBe(3);
    expect(recyclablePoints(999, 1)).toBe(0);
    expect(recyclablePoints(10_000, 0.3)).toBe(3);
  });
});

describe('rhythm periods', () => {
  it('closes the period that just ended, in the city time zone', () => {
    expect(previousPeriod('MONTHLY_STARS', new Date('2026-04-30T16:30:00Z'))).toBe('2026-04');
    expect(previousPeriod('MONTHLY_STARS', new Date('2026-01-01T01:00:00Z'))).toBe('2025-12');
    expect(previousPeriod('QUARTERLY_BULLETIN', new Date('2026-07-01T01:00:00Z'))).toBe('2026-Q2');
    expect(previousPeriod('QUARTERLY_BULLETIN', new Date('2026-01-01T01:00:00Z'))).toBe('2025-Q4');
    expect(previousPeriod('RED_SETTLEMENT', new Date('2026-12-31T16:05:00Z'))).toBe('2026');
    expect(monthsOf('QUARTERLY_BULLETIN', '2026-Q3')).toEqual(['2026-07', '2026-08', '2026-09']);
    expect(() => monthsOf('MONTHLY_STARS', '2026-13')).toThrow();
  });
});

describe('default civic rules', () => {
  it('are a valid rule set with the domain defaults', () => {
    const rules = civicRulesSchema.parse(DEFAULT_CIVIC_RULES);
    expect(rules.publicityDays).toEqual({ default: 5, min: 0, max: 15 });
    expect(rules.categories.RED_BONUS).toEqual({ passbook: 'RED', min: 1, max: 3 });
    expect(rules.categories.RED_BAD_RECORD).toEqual({ passbook: 'RED', min: -10, max: -2 });
    expect(privilegesFor(rules, 150)).toEqual(['PRIORITY_EMPLOYMENT_SERVICES', 'PRIORITY_EVALUATION']);
  });
});
