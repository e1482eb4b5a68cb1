import { createQueue, type JobQueue } from '@citypoints/jobs';
import { registry } from '@citypoints/registry';
import { settlement } from '@citypoints/settlement';
import { codes, eventually, FixedClock, ok, seed, startCity, type TestCity } from '@citypoints/test-city';
import { OVERDUE_QUEUE } from '../../subgraphs/settlement/src/household/household.jobs';
import type { SettlementRuntime } from '../../subgraphs/settlement/src/runtime';

/**
 * The household procedure of docs/domain/02-household-registration.md through the gateway: each stage is due counted in
 * working days (the State Council calendar shipped as data) from the day the previous stage
 * actually completed, and only applications still in procedure are flagged overdue.
 */
const TOWN = '441900003';
const SUBMIT = `mutation($i: SubmitHouseholdApplicationInput!) { submitHouseholdApplication(input: $i) { applicationNo status stageDueDates } }`;
const STAGES = `query($n: ID!) { householdApplication(applicationNo: $n) { status stages { stage dueDate completedAt overdueFlaggedOn } } }`;
const COMPLETE = `mutation($n: ID!, $s: String!) { completeHouseholdStage(applicationNo: $n, stage: $s) { applicationNo } }`;
const IN_PROCEDURE = [{ code: 'EDUCATION', value: 'COLLEGE' }];

describe('hukou procedure stages through the gateway', () => {
  let city: TestCity;
  let clock: FixedClock;
  let officer: string;
  let overdue: JobQueue<Record<string, never>>;
  let sweeps = 0;

  const stages = async (no: string) => ok(await city.query(STAGES, { n: no }, officer)).householdApplication;
  const due = async (no: string) => Object.fromEntries((await stages(no)).stages.map((s: { stage: string; dueDate: string | null }) => [s.stage, s.dueDate]));
  const flagged = async (no: string) => (await stages(no)).stages.filter((s: { overdueFlaggedOn: string | null }) => s.overdueFlaggedOn).map((s: { stage: string }) => s.stage);

  async function applicant() {
    const r = await seed(city).resident({ hukou: 'MIGRANT' });
    await eventually(async () => (await city.instances.settlement.dataSource.query(`SELECT 1 FROM settlement.residents WHERE id = $1`, [r.id])).length === 1);
    return r.id;
  }

  async function submit(indicators = IN_PROCEDURE) {
    return ok(await city.query(SUBMIT, { i: { applicantId: await applicant(), townCode: TOWN, indicators } }, officer)).submitHouseholdApplication;
  }

  async function sweep() {
    sweeps++;
    await overdue.add('flag-overdue-stages', {});
    await eventually(async () => (await overdue.getCompletedCount()) >= sweeps);
  }

  beforeAll(async () => {
    clock = new FixedClock(new Date('2026-02-12T02:00:00Z')); // Thursday before the Spring Festival break
    city = await startCity({ modules: [registry, settlement], workers: true, clock, label: 'settlement_hukou' });
    officer = await city.token('HUKOU_OFFICER', { sub: 'hukou-rules', division: TOWN });
    overdue = createQueue(OVERDUE_QUEUE, city.queue, { prefix: city.queuePrefix });
  });
  afterAll(async () => {
    await overdue?.close();
    await city?.close();
  });

  it('counts working days from the State Council calendar: adjusted working days count, the holiday break does not', async () => {
    const a = await submit();
    // 2 working days after Thursday 02-12: Friday 02-13 and Saturday 02-14, worked in exchange for the break
    expect(a.stageDueDates.FILE_TO_TOWN).toBe('2026-02-14');
    // then 5 working days over the break (02-15 … 02-23 off): 02-24 … 02-28 (a Saturday worked)
    expect(a.stageDueDates.FIRST_REVIEW).toBe('2026-02-28');
  });

  it('moves each stage’s due date to count from the day the previous stage actually completed', async () => {
    clock.set('2026-03-10T02:00:00Z');
    const a = await submit();
    expect(await due(a.applicationNo)).toMatchObject({ FILE_TO_TOWN: '2026-03-12', FIRST_REVIEW: '2026-03-19', POLICE_AND_FAMILY_PLANNING_CHECKS: '2026-03-24' });
    // done late, on Monday 03-16: the first review has its 5 working days from then
    clock.set('2026-03-16T03:00:00Z');
    ok(await city.query(COMPLETE, { n: a.applicationNo, s: 'FILE_TO_TOWN' }, officer));
    expect(await due(a.applicationNo)).toMatchObject({ FILE_TO_TOWN: '2026-03-12', FIRST_REVIEW: '2026-03-23', POLICE_AND_FAMILY_PLANNING_CHECKS: '2026-03-26', RESULT: '2026-04-10' });
    // done early, on 03-17: the checks are due 3 working days from then
    clock.set('2026-03-17T03:00:00Z');
    ok(await city.query(COMPLETE, { n: a.applicationNo, s: 'FIRST_REVIEW' }, officer));
    expect(await due(a.applicationNo)).toMatchObject({ FIRST_REVIEW: '2026-03-23', POLICE_AND_FAMILY_PLANNING_CHECKS: '2026-03-20', RESULT: '2026-04-03' });
  });

  it('flags only applications still in procedure, never INELIGIBLE, rejected or withdrawn ones', async () => {
    clock.set('2026-03-10T02:00:00Z');
    const open = await submit();
    const ineligible = await submit([]);
    expect(ineligible.status).toBe('INELIGIBLE');
    const withdrawn = await submit();
    ok(await city.query(`mutation($n: ID!) { withdrawHouseholdApplication(applicationNo: $n) { status } }`, { n: withdrawn.applicationNo }, officer));
    const rejected = await submit();
    ok(await city.query(`mutation($n: ID!) { rejectHouseholdApplication(applicationNo: $n, reason: "forged diploma") { status } }`, { n: rejected.applicationNo }, officer));
    clock.set('2026-03-13T02:00:00Z');
    await sweep();
    expect(await flagged(open.applicationNo)).toEqual(['FILE_TO_TOWN']);
    for (const a of [ineligible, withdrawn, rejected]) expect(await flagged(a.applicationNo)).toEqual([]);
    const list = ok(await city.query(`{ overdueHouseholdStages(townCode: "${TOWN}") { applicationNo stage } }`, {}, officer)).overdueHouseholdStages.map((s: { applicationNo: string }) => s.applicationNo);
    expect(list).toContain(open.applicationNo);
    expect(list).not.toContain(ineligible.applicationNo);
    expect(codes(await city.query(COMPLETE, { n: ineligible.applicationNo, s: 'FILE_TO_TOWN' }, officer))).toEqual(['INVALID_STATE']);
  });

  it('fails loudly, changing nothing, when a due date reaches a year without a working-day calendar', async () => {
    const rt = city.instances.settlement.runtime as SettlementRuntime;
    const count = async () => (await city.instances.settlement.dataSource.query(`SELECT count(*)::int AS n FROM settlement.household_applications`))[0].n;
    const before = await count();
    const missesBefore = rt.metrics.calendarMissing[2027] ?? 0;
    clock.set('2027-03-01T02:00:00Z');
    const res = await city.query(SUBMIT, { i: { applicantId: await applicant(), townCode: TOWN, indicators: IN_PROCEDURE } }, officer);
    expect(codes(res)).toEqual(['INVALID_STATE']);
    expect(res.errors![0].message).toContain('2027');
    expect(res.errors![0].extensions).toMatchObject({ details: { year: 2027, reason: 'CALENDAR_MISSING' } });
    expect(await count()).toBe(before);
    expect(rt.metrics.calendarMissing[2027]).toBe(missesBefore + 1);
  });

  it('leaves a projection past the calendar unknown instead of guessing it', async () => {
    // submitted in December: the first stages fall in 2026, the appeal window's projection reaches 2027
    clock.set('2026-12-01T02:00:00Z');
    const a = await submit();
    expect(a.stageDueDates.FILE_TO_TOWN).toBe('2026-12-03');
    expect(a.stageDueDates.RESULT).toBe('2026-12-29');
    expect(a.stageDueDates.PUBLIC_NOTICE).toBe('2027-01-05'); // calendar days need no calendar
    expect(a.stageDueDates.APPEAL_WINDOW).toBeNull();
    expect(a.stageDueDates.HUKOU_REGISTERED).toBeNull();
  });
});
