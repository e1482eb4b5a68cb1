import { codes, eventually, FixedClock, ok, startCity, type TestCity } from '@citypoints/test-city';
import { registry } from '@citypoints/registry';
import { civic, runRhythmJob, type CivicRuntime, type RhythmJobData } from '@citypoints/civic';
import { createQueue } from '@citypoints/jobs';
import { Ledger } from '@citypoints/ledger';
import { clerks, projectedResident, register, throughReview } from './helpers';

const A = '441900004001';
const B = '441900110002';

describe('rhythm jobs: monthly stars, RED settlement, bulletin, evaluation', () => {
  let city: TestCity;
  let admin: string;
  const clock = new FixedClock(new Date('2026-04-08T02:00:00Z'));
  const deps = () => city.instances.civic.runtime as CivicRuntime;
  const killedAt = (offset: number) => (at: number) => {
    if (at === offset) throw new Error('worker killed');
  };

  beforeAll(async () => {
    city = await startCity({ modules: [registry, civic], workers: true, clock });
    admin = await city.token('CITY_ADMIN', { sub: 'admin-1' });
    for (const town of [A.slice(0, 9), B.slice(0, 9)]) {
      ok(await city.query(`mutation { setPublicityWindow(divisionCode: "${town}", days: 0) }`, {}, await city.token('TOWN_OFFICIAL', { division: town })));
    }
  });
  afterAll(() => city.close());

  it('registers its four job schedulers on start-up', async () => {
    const queue = createQueue('civic.rhythm', city.queue, { prefix: city.queuePrefix });
    const ids = (await queue.getJobSchedulers()).map((s) => s.key).sort();
    await queue.close();
    expect(ids).toEqual(['civic:monthly-stars', 'civic:quarterly-bulletin', 'civic:red-settlement', 'civic:yearly-evaluation']);
  });

  it('runs a queued rhythm job on the worker, once per period however often it is queued', async () => {
    const queue = createQueue<RhythmJobData>('civic.rhythm', city.queue, { prefix: city.queuePrefix });
    await queue.add('QUARTERLY_BULLETIN', { kind: 'QUARTERLY_BULLETIN', period: '2026-Q1' });
    await queue.add('QUARTERLY_BULLETIN', { kind: 'QUARTERLY_BULLETIN', period: '2026-Q1' });
    await queue.close();
    const ds = city.instances.civic.dataSource;
    const runs = await eventually(async () => {
      const rows = await ds.query(`SELECT status, attempts FROM civic.job_runs WHERE idempotency_key = 'QUARTERLY_BULLETIN:2026-Q1'`);
      return rows.length === 1 && rows[0].status === 'COMPLETED' && rows;
    });
    expect(runs).toEqual([{ status: 'COMPLETED', attempts: 1 }]);
  });

  it('ranks each town once per month, even when the worker dies halfway and the job runs again', async () => {
    const ca = await clerks(city, A);
    const cb = await clerks(city, B);
    const [a1, a2, a3, a4, b1] = [await projectedResident(city, A), await projectedResident(city, A), await projectedResident(city, A), await projectedResident(city, A), await projectedResident(city, B)];
    const approvals: [typeof ca, string, string][] = [[ca, a2.id, 'HELP_NEIGHBOUR'], [ca, a1.id, 'BRAVE_RESCUE'], [ca, a3.id, 'ELDERLY_CARE'], [ca, a4.id, 'HELP_NEIGHBOUR'], [cb, b1.id, 'ELDERLY_CARE']];
    for (const [c, id, item] of approvals) {
      await throughReview(city, c, id, item, '2026-04-02');
      clock.advance(60_000);
    }

    clock.set(new Date('2026-04-30T16:30:00Z'));
    const job: RhythmJobData = { kind: 'MONTHLY_STARS' };
    await expect(runRhythmJob(deps(), job, { chunkSize: 1, afterChunkWork: killedAt(1) })).rejects.toThrow('worker killed');
    const ds = city.instances.civic.dataSource;
    expect(await ds.query(`SELECT town_code, count(*)::int AS n FROM civic.civility_stars GROUP BY town_code`)).toEqual([{ town_code: A.slice(0, 9), n: 4 }]);
    const failed = await ds.query(`SELECT status FROM civic.job_runs WHERE idempotency_key = 'MONTHLY_STARS:2026-04'`);
    expect(failed).toEqual([{ status: 'FAILED' }]);

    const run = await runRhythmJob(deps(), job, { chunkSize: 1 });
    expect(run.status).toBe('COMPLETED');
    expect(await runRhythmJob(deps(), job)).toMatchObject({ id: run.id, status: 'COMPLETED' });
    const perResident = await ds.query(`SELECT resident_id, count(*)::int AS n FROM civic.civility_stars WHERE month = '2026-04' GROUP BY resident_id`);
    expect(perResident).toHaveLength(5);
    expect(perResident.every((r: { n: number }) => r.n === 1)).toBe(true);

    const stars = ok(await city.query(`{ civilityStars(month: "2026-04", divisionCode: "${A.slice(0, 9)}") { rank points resident { id } } }`, {}, admin)).civilityStars;
    expect(stars).toEqual([
      { rank: 1, points: 100, resident: { id: a1.id } },
      { rank: 2, points: 5, resident: { id: a3.id } },
      { rank: 3, points: 3, resident: { id: a2.id } },
      { rank: 4, points: 3, resident: { id: a4.id } },
    ]);

    const analyst = await city.token('DEPARTMENT_ANALYST', { sub: 'analyst-stars', department: 'CIVILISATION_OFFICE', purpose: 'monthly review' });
    expect(ok(await city.query(`{ civilityStars(month: "2026-04", divisionCode: "${A.slice(0, 9)}") { rank } }`, {}, analyst)).civilityStars).toHaveLength(4);
    const audited = await ds.query(`SELECT subject_id, purpose FROM civic.audit_log WHERE actor = 'analyst-stars' AND subject_type = 'CivilityStar' ORDER BY subject_id`);
    expect(audited).toEqual([a1.id, a2.id, a3.id, a4.id].sort().map((id) => ({ subject_id: id, purpose: 'monthly review' })));

    const logger = ds.logger;
    const original = logger.logQuery.bind(logger);
    const cardReads: string[] = [];
    logger.logQuery = (query, parameters, runner) => {
      // a statement reading cards: the residents with their cards (the read path), or the cards alone (issuing)
      if (/FROM "civic"\.cards c JOIN|FROM "civic"\.residents r\s+LEFT JOIN "civic"\.cards c/.test(query)) cardReads.push(query);
      return original(query, parameters, runner);
    };
    let withCards;
    try {
      withCards = ok(await city.query(`{ civilityStars(month: "2026-04", divisionCode: "${A.slice(0, 9)}") { resident { civicCard { balance } } } }`, {}, admin)).civilityStars;
    } finally {
      logger.logQuery = original;
    }
    expect(withCards.map((s: { resident: { civicCard: { balance: number } } }) => s.resident.civicCard.balance)).toEqual([100, 5, 3, 3]);
    expect(cardReads).toHaveLength(1);

    const bulletin = await runRhythmJob(deps(), { kind: 'QUARTERLY_BULLETIN', period: '2026-Q2' }, { chunkSize: 2 });
    expect(bulletin.status).toBe('COMPLETED');
    const b = ok(await city.query(`{ civicBulletin(quarter: "2026-Q2", divisionCode: "${A.slice(0, 9)}") { records points topResidents { points resident { id } } } }`, {}, admin)).civicBulletin;
    expect(b).toEqual({ records: 4, points: 111, topResidents: [{ points: 100, resident: { id: a1.id } }, { points: 5, resident: { id: a3.id } }, { points: 3, resident: { id: a2.id } }] });
  });

  it('settles each red passbook exactly once on 1 January, even when the worker dies halfway and the job runs again', async () => {
    clock.set(new Date('2026-06-01T02:00:00Z'));
    const c = await clerks(city, A);
    const official = await city.token('TOWN_OFFICIAL', { division: A.slice(0, 9) });
    const members = [await projectedResident(city, A), await projectedResident(city, A), await projectedResident(city, A)];
    const outsider = await projectedResident(city, A);
    expect(codes(await register(city, c.registrar, outsider.id, 'RED_KEY_WORK', '2026-05-30'))).toEqual(['INVALID_STATE']);
    for (const m of members) ok(await city.query(`mutation($id: ID!) { enrolRedPassbook(residentId: $id) { cardNo } }`, { id: m.id }, official));
    await throughReview(city, c, members[0].id, 'RED_KEY_WORK', '2026-05-30');
    await throughReview(city, c, members[0].id, 'RED_MEETING_ATTENDED', '2026-05-30');
    await throughReview(city, c, members[1].id, 'RED_MEETING_MISSED', '2026-05-30');
    const red = async (id: string) =>
      ok(await city.query(`query($id: ID!) { civicCard(residentId: $id) { passbooks { kind balance } } }`, { id }, admin)).civicCard.passbooks.find((p: { kind: string }) => p.kind === 'RED');
    expect(await red(members[0].id)).toEqual({ kind: 'RED', balance: 4 });
    expect(await red(members[1].id)).toEqual({ kind: 'RED', balance: -2 });

    clock.set(new Date('2026-12-31T16:05:00Z'));
    await expect(runRhythmJob(deps(), { kind: 'RED_SETTLEMENT' }, { chunkSize: 1, afterChunkWork: killedAt(1) })).rejects.toThrow('worker killed');
    const ds = city.instances.civic.dataSource;
    expect(await ds.query(`SELECT count(*)::int AS n FROM civic.ledger_annual_statements`)).toEqual([{ n: 1 }]);
    expect((await runRhythmJob(deps(), { kind: 'RED_SETTLEMENT' }, { chunkSize: 1 })).status).toBe('COMPLETED');
    await runRhythmJob(deps(), { kind: 'RED_SETTLEMENT', period: '2026' });

    const statements = await ds.query(`SELECT account_id, closing_balance::int AS closing FROM civic.ledger_annual_statements WHERE year = 2026 ORDER BY closing DESC`);
    expect(statements).toEqual([
      { account_id: `civic:RED:${members[0].id}`, closing: 4 },
      { account_id: expect.stringMatching(/^civic:RED:/), closing: 0 },
      { account_id: `civic:RED:${members[1].id}`, closing: -2 },
    ]);
    const settlements = await ds.query(`SELECT p.account_id, count(*)::int AS n FROM civic.ledger_transactions t JOIN civic.ledger_postings p ON p.transaction_id = t.id
      WHERE t.kind = 'YEARLY_SETTLEMENT' AND p.account_id LIKE 'civic:RED:%' GROUP BY p.account_id`);
    expect(settlements.map((s: { n: number }) => s.n)).toEqual([1, 1]);
    for (const m of members) expect(await red(m.id)).toEqual({ kind: 'RED', balance: 0 });
    const statement = ok(await city.query(`query($id: ID!) { civicCard(residentId: $id) { redStatement(year: 2026) { closingBalance } } }`, { id: members[1].id }, admin));
    expect(statement.civicCard.redStatement).toEqual({ closingBalance: -2 });
    expect((await red(outsider.id)) ?? null).toBeNull();
  });

  it('evaluates the year once per card holder with the privileges the thresholds give', async () => {
    const run = await runRhythmJob(deps(), { kind: 'YEARLY_EVALUATION', period: '2026' }, { chunkSize: 3 });
    expect(run.status).toBe('COMPLETED');
    const ds = city.instances.civic.dataSource;
    const cards = await ds.query(`SELECT count(*)::int AS n FROM civic.cards WHERE issued_at < '2027-01-01T00:00:00+08:00'`);
    const rows = await ds.query(`SELECT points_approved, civic_balance, privileges FROM civic.evaluations WHERE year = 2026 ORDER BY points_approved DESC`);
    expect(rows).toHaveLength(cards[0].n);
    expect(cards[0].n).toBeGreaterThanOrEqual(8);
    expect(rows[0]).toEqual({ points_approved: 100, civic_balance: 100, privileges: ['PRIORITY_EMPLOYMENT_SERVICES'] });
    const top = (await ds.query(`SELECT resident_id FROM civic.evaluations WHERE year = 2026 AND points_approved = 100`))[0].resident_id;
    const seen = ok(await city.query(`{ myCivicCard { evaluation(year: 2026) { pointsApproved civicBalance privileges rulesVersion lines } } }`, {}, await city.token('RESIDENT', { sub: top })));
    expect(seen.myCivicCard.evaluation).toMatchObject({ pointsApproved: 100, civicBalance: 100, privileges: ['PRIORITY_EMPLOYMENT_SERVICES'], rulesVersion: 1 });
    expect(seen.myCivicCard.evaluation.lines[0]).toEqual({ rule: 'POINTS_APPROVED', detail: 'points approved in 2026', value: 100 });
    expect(await new Ledger({ schema: 'civic' }).checkInvariants(ds.manager)).toEqual([]);
  });
});
