import { createWorker, type JobWorker } from '@citypoints/jobs';
import { codes, eventually, FixedClock, genUscc, ok, startCity, type TestCity } from '@citypoints/test-city';
import { socialOrganisationsModule, type SocialOrganisationsRuntime } from '@citypoints/social-organisations';
import { GRADING_QUEUE, processGradingJob, type GradingJob } from '../src/grading/grading.jobs';
import { gradeRun } from '../src/grading/grading.run';

const RUN = `id year status progress organisations graded attempts error`;

/**
 * The yearly grading as a job run: queued through the gateway, carried out chunk by chunk by a
 * worker, and, when the worker dies halfway, resumed by BullMQ's retry so that every organisation
 * is graded exactly once.
 */
describe('organisation grading as a job run', () => {
  let city: TestCity;
  let civilAffairs: string;
  const rt = () => city.instances['social-organisations'].runtime as SocialOrganisationsRuntime;
  const so = () => rt().ds;

  /** organisations as registry's events would have projected them, each with one indicator entered through the gateway */
  async function organisations(n: number, year: number): Promise<string[]> {
    const usccs = Array.from({ length: n }, () => genUscc('51'));
    for (const [i, uscc] of usccs.entries()) {
      await so().query(`INSERT INTO social_organisations.organisations (uscc, name, kind, division_code) VALUES ($1, $2, 'CHAMBER_OF_COMMERCE', '441900003')`, [uscc, `商会${i}`]);
      ok(await city.query(`mutation($i: OrganisationIndicatorInput!) { recordOrganisationIndicator(input: $i) { points } }`, {
        i: { uscc, year, category: 'BASIC_WORK', points: 10 + i, idempotencyKey: `run-${uscc}` },
      }, civilAffairs));
    }
    return usccs;
  }

  beforeAll(async () => {
    // no workers of the subgraph's own: each test brings the worker it needs
    city = await startCity({ modules: [socialOrganisationsModule({ gradingChunkSize: 2 })], clock: new FixedClock(new Date('2031-02-01T00:00:00Z')), label: 'so_grading_run' });
    civilAffairs = await city.token('DATA_FEED', { sub: 'civil-1', department: 'CIVIL_AFFAIRS' });
  });
  afterAll(() => city.close());

  it('resumes a run whose worker died after its first chunk and grades every organisation exactly once', async () => {
    const usccs = await organisations(5, 2030);
    const [{ total }] = await so().query(`SELECT count(*)::int AS total FROM social_organisations.organisations`);

    const started = ok(await city.query(`mutation { startOrganisationGrading(year: 2030) { ${RUN} } }`, {}, civilAffairs)).startOrganisationGrading;
    expect(started).toMatchObject({ year: 2030, status: 'QUEUED', organisations: total, graded: 0, attempts: 0 });
    // asking again while it waits returns the same run
    expect(ok(await city.query(`mutation { startOrganisationGrading(year: 2030) { id } }`, {}, civilAffairs)).startOrganisationGrading.id).toBe(started.id);

    // a worker that dies after committing its first chunk, the first time only
    let chunksBeforeDeath = 1;
    const worker: JobWorker<GradingJob> = createWorker<GradingJob, number>(
      GRADING_QUEUE,
      async (job) => {
        if (job.attemptsMade > 0) return processGradingJob(rt(), job);
        await gradeRun(rt(), job.data.runId!, () => {
          if (--chunksBeforeDeath < 0) throw new Error('worker killed');
        });
        return 0;
      },
      city.queue,
      { prefix: city.queuePrefix },
    );
    try {
      const done = await eventually(async () => {
        const run = ok(await city.query(`query($id: ID!) { organisationGradingRun(id: $id) { ${RUN} } }`, { id: started.id }, civilAffairs)).organisationGradingRun;
        return run.status === 'COMPLETED' && run;
      }, 60_000);
      expect(done).toMatchObject({ status: 'COMPLETED', progress: 1, organisations: total, graded: total, attempts: 2, error: null });
    } finally {
      await worker.close();
    }

    // every organisation of the run graded once: none skipped, none twice
    const items: { uscc: string; times: number }[] = await so().query(`SELECT uscc, times FROM social_organisations.grading_run_items WHERE run_id = $1`, [started.id]);
    expect(items).toHaveLength(total);
    expect(items.every((i) => i.times === 1)).toBe(true);
    expect(items.map((i) => i.uscc)).toEqual(expect.arrayContaining(usccs));
    const graded: { uscc: string; points: string; rewarded: boolean }[] = await so().query(`SELECT uscc, points, rewarded FROM social_organisations.gradings WHERE year = 2030 AND uscc = ANY($1)`, [usccs]);
    expect(graded.map((g) => [g.uscc, Number(g.points)]).sort()).toEqual(usccs.map((u, i) => [u, 10 + i]).sort());
    // the rewards step, the run's last item, ran too: the three best chambers are rewarded
    expect(graded.filter((g) => g.rewarded).map((g) => g.uscc).sort()).toEqual(usccs.slice(2).sort());
    expect(await so().transaction((m) => rt().ledger.checkInvariants(m))).toEqual([]);
  });

  it('keeps runOrganisationGrading answering how many organisations it graded, waiting for the queued run', async () => {
    await organisations(3, 2029);
    const [{ total }] = await so().query(`SELECT count(*)::int AS total FROM social_organisations.organisations`);
    const worker = createWorker<GradingJob, number>(GRADING_QUEUE, (job) => processGradingJob(rt(), job), city.queue, { prefix: city.queuePrefix });
    try {
      expect(ok(await city.query(`mutation { runOrganisationGrading(year: 2029) }`, {}, civilAffairs)).runOrganisationGrading).toBe(total);
    } finally {
      await worker.close();
    }
    const [{ n }] = await so().query(`SELECT count(*)::int AS n FROM social_organisations.gradings WHERE year = 2029`);
    expect(n).toBe(total);
    const town = await city.token('TOWN_OFFICIAL', { division: '441900003' });
    expect(codes(await city.query(`mutation { startOrganisationGrading(year: 2029) { id } }`, {}, town))).toEqual(['FORBIDDEN']);
    expect(codes(await city.query(`mutation { startOrganisationGrading(year: 1999) { id } }`, {}, civilAffairs))).toEqual(['BAD_USER_INPUT']);
  });
});
