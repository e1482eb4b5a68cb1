/**
 * docs/domain/02-household-registration.md, rule by rule. The scheme (DG-HUKOU), its conditions,
 * the procedure's stages and the working-day calendar are the rows settlement's migrations seed,
 * read back from a migrated database.
 */
import type { TestDatabase } from '@citypoints/db';
import { loadCalendar, type WorkingDayCalendar } from '@citypoints/calendar';
import type { DataSource } from 'typeorm';
import { migratedSettlement } from './settlement-db';
import { itemOf, itemPoints, scoreApplication, type IndicatorState, type SchemeDefinition } from '../../subgraphs/settlement/src/schemes/engine';
import { loadProcedure, scheduleStages, type ProcedureStage } from '../../subgraphs/settlement/src/household/procedure';

let db: TestDatabase;
let ds: DataSource;
let scheme: SchemeDefinition;
let row: { code: string; threshold: string | null };
let stages: ProcedureStage[];
let cal: WorkingDayCalendar;

const pts = (code: string, value: string | number) => itemPoints(itemOf(scheme, code)!, String(value)).points;
const verified = (code: string, value: string | number): IndicatorState => ({ code, claimed: String(value), verified: String(value), status: 'VERIFIED' });
const age = (birthDate: string, onDay: string) => scoreApplication(scheme, [], { birthDate, onDay }).lines.find((l) => l.code === 'AGE')!;

beforeAll(async () => {
  ({ db, ds } = await migratedSettlement('conf_household'));
  [row] = await ds.query(`SELECT code, threshold, definition FROM settlement.schemes WHERE kind = 'HOUSEHOLD_REGISTRATION' ORDER BY year DESC, version DESC LIMIT 1`);
  scheme = (row as unknown as { definition: SchemeDefinition }).definition;
  stages = await loadProcedure(ds);
  cal = await loadCalendar(ds, 'settlement');
});
afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

describe('§2 Conditions or points', () => {
  it('an applicant qualifies … by reaching the threshold (100 points under the default scheme DG-HUKOU)', () => {
    expect(row.code).toBe('DG-HUKOU');
    expect(Number(row.threshold)).toBe(100);
    expect(scheme.threshold).toBe(100);
  });
});

describe('§2 Scoring', () => {
  it('Education and skill grade by option', () => {
    expect(['HIGH_SCHOOL', 'COLLEGE', 'BACHELOR_OR_ABOVE'].map((v) => pts('EDUCATION', v))).toEqual([20, 60, 80]);
    expect(['JUNIOR', 'INTERMEDIATE'].map((v) => pts('SKILL_GRADE', v))).toEqual([30, 60]);
  });

  it('2 points per insured type-year', () => {
    expect([1, 7].map((n) => pts('SOCIAL_INSURANCE_TYPE_YEARS', n))).toEqual([2, 14]);
  });

  it('years in the city at 4 a year for the first four and 6 a year after', () => {
    expect([1, 4, 5, 6, 10].map((y) => pts('CITY_YEARS', y))).toEqual([4, 16, 22, 28, 52]);
  });

  it('the class of the town where the applicant owns a home and of the town applied to', () => {
    expect(['A', 'B', 'C'].map((c) => pts('HOME_TOWN_CLASS', c))).toEqual([10, 20, 30]);
    expect(['A', 'B', 'C'].map((c) => pts('APPLY_TOWN_CLASS', c))).toEqual([0, 20, 30]);
  });

  it('age, in whole years from the ID number\'s birth date on the submission day: nothing under 18, a bonus from 18 to 35, a small one from 36 to 45, a deduction for every year above 45', () => {
    expect(age('2008-06-02', '2026-06-01')).toMatchObject({ verified: '17', points: 0 });
    expect(age('2008-06-01', '2026-06-01')).toMatchObject({ verified: '18', points: 5 });
    expect(age('1991-01-01', '2026-06-01')).toMatchObject({ verified: '35', points: 5 });
    expect(age('1990-01-01', '2026-06-01')).toMatchObject({ verified: '36', points: 1 });
    expect(age('1981-01-01', '2026-06-01')).toMatchObject({ verified: '45', points: 1 });
    expect(age('1980-01-01', '2026-06-01')).toMatchObject({ verified: '46', points: -3 });
    expect(age('1976-01-01', '2026-06-01')).toMatchObject({ verified: '50', points: -15 });
  });

  it('volunteer hours, blood donations and charity, each capped', () => {
    expect([50, 1000].map((h) => pts('VOLUNTEER_HOURS', h))).toEqual([2, 10]);
    // verified from the city's own records (§1): every confirmed hour in volunteering, no window
    expect(itemOf(scheme, 'VOLUNTEER_HOURS')!.verifiedFrom).toEqual({ source: 'volunteering', fact: 'confirmedHours', subject: 'APPLICANT' });
    expect([1, 20].map((n) => pts('BLOOD_DONATIONS', n))).toEqual([2, 10]);
    expect([1000, 99000].map((y) => pts('CHARITY_YUAN', y))).toEqual([2, 10]);
  });

  it('income tax and deed tax by amount, capped', () => {
    expect([2500, 500000].map((y) => pts('INCOME_TAX_YUAN', y))).toEqual([2, 100]);
    expect([4000, 100000].map((y) => pts('DEED_TAX_YUAN', y))).toEqual([2, 20]);
  });

  it('a patent; deductions for each out-of-policy birth and each non-criminal offence', () => {
    expect(pts('PATENT', 'true')).toBe(100);
    expect([1, 2].map((n) => pts('OUT_OF_POLICY_BIRTHS', n))).toEqual([-60, -120]);
    expect([1, 2].map((n) => pts('NON_CRIMINAL_OFFENCES', n))).toEqual([-80, -160]);
  });

  it('points decide against the threshold: a bachelor aged 31 with two years in the city and one insured type-year stays below 100, applying to a class-B town reaches it', () => {
    const b = scoreApplication(scheme, [verified('EDUCATION', 'BACHELOR_OR_ABOVE'), verified('CITY_YEARS', 2), verified('SOCIAL_INSURANCE_TYPE_YEARS', 1)], { birthDate: '1995-01-01', onDay: '2026-06-01' });
    expect(b.total).toBe(80 + 8 + 2 + 5);
    expect(b.total).toBeLessThan(Number(row.threshold));
    const more = scoreApplication(scheme, [verified('EDUCATION', 'BACHELOR_OR_ABOVE'), verified('CITY_YEARS', 2), verified('SOCIAL_INSURANCE_TYPE_YEARS', 1), verified('APPLY_TOWN_CLASS', 'B')], { birthDate: '1995-01-01', onDay: '2026-06-01' });
    expect(more.total).toBeGreaterThanOrEqual(Number(row.threshold));
  });
});

describe('§2 Admission conditions', () => {
  it('Any one is enough: intermediate title, bachelor, senior skilled worker, talent card, city honour, decorated veteran, invention patent, INVESTOR_TAX, returning graduate, spouse of a resident', () => {
    expect(scheme.conditions).toEqual([
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
    ]);
  });
});

describe('§2 Procedure and deadlines', () => {
  it('Stages (DG): town within 2 working days; first review 5; police and family-planning checks 3; result 10; public notice 7 calendar days; appeal within 30 working days, answered within 5; registered within 6 months', () => {
    expect(stages.map((s) => [s.stage, s.amount, s.unit])).toEqual([
      ['FILE_TO_TOWN', 2, 'WORKING_DAYS'],
      ['FIRST_REVIEW', 5, 'WORKING_DAYS'],
      ['POLICE_AND_FAMILY_PLANNING_CHECKS', 3, 'WORKING_DAYS'],
      ['RESULT', 10, 'WORKING_DAYS'],
      ['PUBLIC_NOTICE', 7, 'CALENDAR_DAYS'],
      ['APPEAL_WINDOW', 30, 'WORKING_DAYS'],
      ['APPEAL_ANSWER', 5, 'WORKING_DAYS'],
      ['HUKOU_REGISTERED', 6, 'MONTHS'],
    ]);
  });

  it('Each stage shows its due date, counted from the day the previous stage actually completed — not fixed at submission', () => {
    // submitted Monday 2026-03-09: the file is due in 2 working days, the first review 5 after that
    const planned = scheduleStages(stages, '2026-03-09', new Map(), cal);
    expect(planned[0].due).toBe('2026-03-11');
    expect(planned[1].due).toBe('2026-03-18');
    const late = scheduleStages(stages, '2026-03-09', new Map([[1, '2026-03-16']]), cal);
    expect(late[0].due).toBe('2026-03-11');
    expect(late[1].due).toBe('2026-03-23');
  });

  it('Working days come from the calendar data: public holidays are skipped, adjusted working days count', () => {
    expect(cal.isWorkingDay('2026-10-01')).toBe(false);
    expect(cal.isWorkingDay('2026-02-16')).toBe(false);
    // two working days from Wednesday 30 September 2026 run past the National Day holiday
    const s = scheduleStages(stages, '2026-09-30', new Map(), cal);
    expect(s[0].due! > '2026-10-07').toBe(true);
  });

  it('a year without a calendar is an error, never a plain Monday-to-Friday guess', () => {
    expect(() => cal.addWorkingDays('2099-03-02', 2)).toThrow();
    expect(() => scheduleStages(stages, '2099-03-02', new Map(), cal)).toThrow();
  });

  it('False documents: the application is rejected and the applicant barred for five years', () => {
    expect(scheme.barYears).toBe(5);
  });
});
