import { DG_HUKOU, DG_HUKOU_VERIFIED, DG_SCHOOL, DG_SCHOOL_VERIFIED } from '../src/migrations/default-schemes';
import { itemOf, itemPoints, scoreApplication, validateDefinition, type IndicatorState, type SchemeItem } from '../src/schemes/engine';

const item = (def: typeof DG_SCHOOL, code: string): SchemeItem => itemOf(def, code)!;
const pts = (def: typeof DG_SCHOOL, code: string, value: string) => itemPoints(item(def, code), value).points;
const verified = (code: string, value: string): IndicatorState => ({ code, claimed: value, verified: value, status: 'VERIFIED' });

describe('DG-SCHOOL, line by line (docs/domain/01-school-admission.md)', () => {
  it('scores the options of EDUCATION, QUALIFICATION, HOME_OWNERSHIP and SKILL_CONTEST', () => {
    expect(['HIGH_SCHOOL_OR_BELOW', 'COLLEGE', 'BACHELOR', 'MASTER_OR_ABOVE'].map((v) => pts(DG_SCHOOL, 'EDUCATION', v))).toEqual([30, 60, 80, 100]);
    expect(
      ['JUNIOR_WORKER', 'INTERMEDIATE_WORKER', 'SENIOR_WORKER_OR_JUNIOR_TITLE', 'TECHNICIAN_OR_MID_TITLE', 'SENIOR_TECHNICIAN_OR_SENIOR_TITLE', 'PRACTISING_LICENCE'].map((v) =>
        pts(DG_SCHOOL, 'QUALIFICATION', v),
      ),
    ).toEqual([10, 30, 50, 70, 100, 50]);
    expect(['NONE', 'UP_TO_5_YEARS', 'OVER_5_YEARS'].map((v) => pts(DG_SCHOOL, 'HOME_OWNERSHIP', v))).toEqual([0, 30, 40]);
    expect(['CITY', 'PROVINCE', 'NATIONAL'].map((v) => pts(DG_SCHOOL, 'SKILL_CONTEST', v))).toEqual([40, 50, 60]);
  });

  it('tiers work and residence years: 1–2 at 1, 3–5 at 2, 6 on at 3 (7 years = 14), full years only', () => {
    expect([0, 1, 2, 3, 5, 6, 7, 10].map((y) => pts(DG_SCHOOL, 'WORK_YEARS', String(y)))).toEqual([0, 1, 2, 4, 8, 11, 14, 23]);
    expect(pts(DG_SCHOOL, 'WORK_YEARS', '7.9')).toBe(14);
    expect(pts(DG_SCHOOL, 'RESIDENCE_YEARS', '7')).toBe(14);
  });

  it('gives 1.5 per social-insurance type-year', () => {
    expect(pts(DG_SCHOOL, 'SOCIAL_INSURANCE_TYPE_YEARS', '20')).toBe(30);
    expect(pts(DG_SCHOOL, 'SOCIAL_INSURANCE_TYPE_YEARS', '3')).toBe(4.5);
  });

  it('steps salary tax at 3,000 / 4,000 / 5,000 yuan', () => {
    expect([2999, 3000, 3999, 4000, 5000, 90000].map((v) => pts(DG_SCHOOL, 'SALARY_TAX_3Y', String(v)))).toEqual([0, 10, 10, 20, 30, 30]);
  });

  it('counts full units of the other tax lines, each with its own cap', () => {
    expect(pts(DG_SCHOOL, 'OTHER_INCOME_TAX_3Y', '7999')).toBe(7);
    expect(itemPoints(item(DG_SCHOOL, 'OTHER_INCOME_TAX_3Y'), '25000')).toEqual({ points: 10, capped: true });
    expect(pts(DG_SCHOOL, 'SOLE_TRADER_TAX_3Y', '45000')).toBe(30);
    expect([29999, 30000, 60000, 200000].map((v) => pts(DG_SCHOOL, 'COMPANY_TAX_SHARE_3Y', String(v)))).toEqual([0, 10, 20, 30]);
    expect(pts(DG_SCHOOL, 'DEED_TAX', '12500')).toBe(12);
  });

  it('caps the five tax lines together at 100, cutting the last lines and marking them capped', () => {
    const b = scoreApplication(DG_SCHOOL, [
      verified('SALARY_TAX_3Y', '6000'),
      verified('OTHER_INCOME_TAX_3Y', '10000'),
      verified('SOLE_TRADER_TAX_3Y', '30000'),
      verified('COMPANY_TAX_SHARE_3Y', '90000'),
      verified('DEED_TAX', '30000'),
    ]);
    const tax = b.lines.filter((l) => ['SALARY_TAX_3Y', 'OTHER_INCOME_TAX_3Y', 'SOLE_TRADER_TAX_3Y', 'COMPANY_TAX_SHARE_3Y', 'DEED_TAX'].includes(l.code));
    expect(tax.map((l) => [l.points, l.capped])).toEqual([[30, false], [10, false], [30, false], [30, false], [0, true]]);
    expect(b.total).toBe(100);
  });

  it('scores blood donations, volunteer hours and local schooling as tabulated', () => {
    expect([1, 10, 11].map((n) => pts(DG_SCHOOL, 'BLOOD_DONATIONS_5Y', String(n)))).toEqual([2, 20, 20]);
    expect([49, 50, 120, 400].map((h) => pts(DG_SCHOOL, 'PARENT_VOLUNTEER_HOURS_5Y', String(h)))).toEqual([0, 2, 4, 10]);
    expect(pts(DG_SCHOOL, 'CHILD_VOLUNTEER_HOURS_5Y', '260')).toBe(10);
    expect([0, 1, 2, 3, 4].map((y) => pts(DG_SCHOOL, 'LOCAL_KINDERGARTEN_YEARS', String(y)))).toEqual([0, 3, 6, 10, 10]);
    expect([1, 2, 3, 4, 5, 6, 7, 9].map((y) => pts(DG_SCHOOL, 'LOCAL_SCHOOL_YEARS', String(y)))).toEqual([2, 4, 8, 12, 16, 20, 24, 24]);
  });

  it('scores booleans and deducts 100 per criminal record', () => {
    expect(pts(DG_SCHOOL, 'PATENT', 'true')).toBe(60);
    expect(pts(DG_SCHOOL, 'PATENT', 'false')).toBe(0);
    expect(pts(DG_SCHOOL, 'FAMILY_PLANNING_COMPLIANT', 'true')).toBe(100);
    expect(pts(DG_SCHOOL, 'CRIMINAL_RECORDS_5Y', '2')).toBe(-200);
  });

  it('scores only verified values: claimed lines give 0, a corrected value scores as corrected', () => {
    const b = scoreApplication(DG_SCHOOL, [
      { code: 'EDUCATION', claimed: 'BACHELOR', verified: 'COLLEGE', status: 'VERIFIED' },
      { code: 'WORK_YEARS', claimed: '7', verified: null, status: 'CLAIMED' },
      { code: 'PATENT', claimed: 'true', verified: null, status: 'REJECTED' },
      verified('CITY_HONOUR_5Y', 'true'),
    ]);
    const line = (c: string) => b.lines.find((l) => l.code === c)!;
    expect(line('EDUCATION')).toMatchObject({ claimed: 'BACHELOR', verified: 'COLLEGE', status: 'VERIFIED', points: 60 });
    expect(line('WORK_YEARS')).toMatchObject({ claimed: '7', status: 'CLAIMED', points: 0 });
    expect(line('PATENT')).toMatchObject({ status: 'REJECTED', points: 0 });
    expect(b.total).toBe(60);
    expect(b.priority).toBe(true);
  });
});

describe('DG-HUKOU, line by line (docs/domain/02-household-registration.md)', () => {
  const age = (birthDate: string, onDay: string) => scoreApplication(DG_HUKOU, [], { birthDate, onDay }).lines.find((l) => l.code === 'AGE')!;

  it('derives AGE from the birth date on the submission day', () => {
    expect(age('1979-03-10', '2026-03-10')).toMatchObject({ claimed: '47', verified: '47', status: 'VERIFIED', points: -6 });
    expect(age('1979-03-11', '2026-03-10').points).toBe(-3);
    expect(age('1980-03-10', '2026-03-10').points).toBe(-3);
    expect(age('1981-03-10', '2026-03-10').points).toBe(1);
    expect(age('1990-06-01', '2026-03-10').points).toBe(5);
    expect(age('2009-06-01', '2026-03-10').points).toBe(0);
    expect(age('1976-01-01', '2026-03-10').points).toBe(-15);
  });

  it('tiers city years 1–4 at 4 and 5 on at 6', () => {
    expect([1, 4, 5, 8].map((y) => pts(DG_HUKOU, 'CITY_YEARS', String(y)))).toEqual([4, 16, 22, 40]);
  });

  it('scores the rest of the table', () => {
    expect(['HIGH_SCHOOL', 'COLLEGE', 'BACHELOR_OR_ABOVE'].map((v) => pts(DG_HUKOU, 'EDUCATION', v))).toEqual([20, 60, 80]);
    expect(['JUNIOR', 'INTERMEDIATE'].map((v) => pts(DG_HUKOU, 'SKILL_GRADE', v))).toEqual([30, 60]);
    expect(pts(DG_HUKOU, 'SOCIAL_INSURANCE_TYPE_YEARS', '12')).toBe(24);
    expect(['A', 'B', 'C'].map((v) => pts(DG_HUKOU, 'HOME_TOWN_CLASS', v))).toEqual([10, 20, 30]);
    expect(['A', 'B', 'C'].map((v) => pts(DG_HUKOU, 'APPLY_TOWN_CLASS', v))).toEqual([0, 20, 30]);
    expect([120, 400].map((h) => pts(DG_HUKOU, 'VOLUNTEER_HOURS', String(h)))).toEqual([4, 10]);
    expect([3, 9].map((n) => pts(DG_HUKOU, 'BLOOD_DONATIONS', String(n)))).toEqual([6, 10]);
    expect([2500, 9000].map((y) => pts(DG_HUKOU, 'CHARITY_YUAN', String(y)))).toEqual([4, 10]);
    expect([45999, 150000].map((y) => pts(DG_HUKOU, 'INCOME_TAX_YUAN', String(y)))).toEqual([45, 100]);
    expect([5999, 80000].map((y) => pts(DG_HUKOU, 'DEED_TAX_YUAN', String(y)))).toEqual([2, 20]);
    expect(pts(DG_HUKOU, 'PATENT', 'true')).toBe(100);
    expect(pts(DG_HUKOU, 'OUT_OF_POLICY_BIRTHS', '1')).toBe(-60);
    expect(pts(DG_HUKOU, 'NON_CRIMINAL_OFFENCES', '2')).toBe(-160);
  });

  it('adds a whole application up', () => {
    const b = scoreApplication(
      DG_HUKOU,
      [verified('EDUCATION', 'COLLEGE'), verified('CITY_YEARS', '6'), verified('SOCIAL_INSURANCE_TYPE_YEARS', '10'), verified('APPLY_TOWN_CLASS', 'B')],
      { birthDate: '1991-01-01', onDay: '2026-03-10' },
    );
    expect(b.total).toBe(60 + 28 + 20 + 20 + 5);
  });
});

describe('validating a published definition', () => {
  const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));
  const refused = (kind: 'SCHOOL_ADMISSION' | 'HOUSEHOLD_REGISTRATION', d: unknown) => {
    try {
      validateDefinition(kind, d);
    } catch (e) {
      return (e as { code: string; message: string }).code + ': ' + (e as Error).message;
    }
    return 'accepted';
  };

  it('accepts the defaults', () => {
    expect(refused('SCHOOL_ADMISSION', DG_SCHOOL)).toBe('accepted');
    expect(refused('HOUSEHOLD_REGISTRATION', DG_HUKOU)).toBe('accepted');
    expect(refused('SCHOOL_ADMISSION', DG_SCHOOL_VERIFIED)).toBe('accepted');
    expect(refused('HOUSEHOLD_REGISTRATION', DG_HUKOU_VERIFIED)).toBe('accepted');
  });

  it('takes a line verified from records only for a record fact the city keeps, a subject of the kind, a counted kind and a whole window', () => {
    const withLine = (kind: 'SCHOOL_ADMISSION' | 'HOUSEHOLD_REGISTRATION', code: string, verifiedFrom: unknown) => {
      const d = clone(kind === 'SCHOOL_ADMISSION' ? DG_SCHOOL : DG_HUKOU);
      (d.items.find((i) => i.code === code) as { verifiedFrom?: unknown }).verifiedFrom = verifiedFrom;
      return refused(kind, d);
    };
    const hours = { source: 'volunteering', fact: 'confirmedHours' };
    expect(withLine('SCHOOL_ADMISSION', 'PARENT_VOLUNTEER_HOURS_5Y', { ...hours, subject: 'PARENT', windowYears: 5 })).toBe('accepted');
    expect(withLine('HOUSEHOLD_REGISTRATION', 'VOLUNTEER_HOURS', { ...hours, subject: 'APPLICANT' })).toBe('accepted');
    expect(withLine('SCHOOL_ADMISSION', 'PARENT_VOLUNTEER_HOURS_5Y', { source: 'volunteering', fact: 'blessings', subject: 'PARENT' })).toMatch(/^BAD_USER_INPUT: .*no record fact the city keeps \(volunteering\/blessings\)/);
    expect(withLine('SCHOOL_ADMISSION', 'PARENT_VOLUNTEER_HOURS_5Y', { ...hours, subject: 'APPLICANT' })).toMatch(/^BAD_USER_INPUT: .*subject must be PARENT/);
    expect(withLine('HOUSEHOLD_REGISTRATION', 'VOLUNTEER_HOURS', { ...hours, subject: 'PARENT' })).toMatch(/^BAD_USER_INPUT: .*subject must be APPLICANT/);
    // the school application's child is a subject of its own (their records, when registry knows them)
    expect(withLine('SCHOOL_ADMISSION', 'CHILD_VOLUNTEER_HOURS_5Y', { ...hours, subject: 'CHILD', windowYears: 5 })).toBe('accepted');
    expect(withLine('HOUSEHOLD_REGISTRATION', 'VOLUNTEER_HOURS', { ...hours, subject: 'CHILD' })).toMatch(/^BAD_USER_INPUT: .*subject must be APPLICANT/);
    expect(withLine('SCHOOL_ADMISSION', 'CHILD_VOLUNTEER_HOURS_5Y', { ...hours, subject: 'SIBLING' })).toMatch(/^BAD_USER_INPUT: .*subject must be PARENT or CHILD/);
    expect(withLine('SCHOOL_ADMISSION', 'PATENT', { ...hours, subject: 'PARENT' })).toMatch(/^BAD_USER_INPUT: .*PATENT counts records, so it must be PER_UNIT, TIERED or STEP/);
    expect(withLine('SCHOOL_ADMISSION', 'PARENT_VOLUNTEER_HOURS_5Y', { ...hours, subject: 'PARENT', windowYears: 2.5 })).toMatch(/^BAD_USER_INPUT: .*windowYears must be a whole number/);
    expect(withLine('SCHOOL_ADMISSION', 'PARENT_VOLUNTEER_HOURS_5Y', { ...hours, subject: 'PARENT', sql: 'x' })).toMatch(/^BAD_USER_INPUT: .*does not take sql/);
    expect(withLine('SCHOOL_ADMISSION', 'PARENT_VOLUNTEER_HOURS_5Y', 'volunteering')).toMatch(/^BAD_USER_INPUT: .*verifiedFrom must be an object/);
  });

  it('refuses unknown kinds, overlapping tiers, missing caps and a hukou scheme without threshold', () => {
    const unknown = clone(DG_SCHOOL);
    (unknown.items[0] as { kind: string }).kind = 'MAGIC';
    expect(refused('SCHOOL_ADMISSION', unknown)).toMatch(/^BAD_USER_INPUT: .*unknown item kind MAGIC/);

    const overlap = clone(DG_SCHOOL);
    (overlap.items.find((i) => i.code === 'WORK_YEARS') as { tiers: unknown[] }).tiers = [{ from: 1, to: 3, points: 1 }, { from: 3, points: 2 }];
    expect(refused('SCHOOL_ADMISSION', overlap)).toMatch(/^BAD_USER_INPUT: .*overlap/);

    const noCap = clone(DG_SCHOOL);
    delete (noCap.items.find((i) => i.code === 'DEED_TAX') as { cap?: unknown }).cap;
    expect(refused('SCHOOL_ADMISSION', noCap)).toMatch(/^BAD_USER_INPUT: .*DEED_TAX must state its cap/);

    const noCategoryCap = clone(DG_SCHOOL);
    delete (noCategoryCap.categories![0] as { cap?: unknown }).cap;
    expect(refused('SCHOOL_ADMISSION', noCategoryCap)).toMatch(/^BAD_USER_INPUT: .*category TAX needs a positive cap/);

    const steps = clone(DG_SCHOOL);
    (steps.items.find((i) => i.code === 'SALARY_TAX_3Y') as { steps: unknown[] }).steps = [{ min: 3000, points: 10 }, { min: 3000, points: 20 }];
    expect(refused('SCHOOL_ADMISSION', steps)).toMatch(/^BAD_USER_INPUT: .*overlap/);

    const noThreshold = clone(DG_HUKOU);
    delete noThreshold.threshold;
    expect(refused('HOUSEHOLD_REGISTRATION', noThreshold)).toMatch(/^BAD_USER_INPUT: .*threshold/);
  });
});
