import type { EntityManager } from 'typeorm';
import { runChunked, type JobRun } from '@citypoints/jobs';
import { isUuid } from '@citypoints/kit';
import { SCHEMA, type SocialOrganisationsRuntime } from '../runtime';
import { assertYear } from '../scheme/scheme.service';
import { decideRewards, regradeMany } from './grading.service';
import type { OrganisationGradingRun } from './grading.type';

export const GRADING_RUN = 'organisation-grading';

export function toGradingRun(r: JobRun): OrganisationGradingRun {
  const c = r.status === 'COMPLETED' && r.result && typeof r.result === 'object' ? (r.result as Record<string, unknown>) : r.counters;
  return {
    id: r.id,
    year: Number(r.params.year),
    status: r.status as OrganisationGradingRun['status'],
    progress: r.progress,
    organisations: (r.params.usccs as string[]).length,
    graded: Number(c.graded ?? 0),
    attempts: r.attempts,
    error: r.error,
  };
}

/** Records a run over every organisation known now; the list is fixed with the run, so a retry grades the same ones. */
async function createRun(rt: SocialOrganisationsRuntime, m: EntityManager, year: number, key: string | null): Promise<JobRun> {
  const orgs: { uscc: string }[] = await m.query(`SELECT uscc FROM "${SCHEMA}".organisations ORDER BY uscc COLLATE "C"`);
  return rt.runs.create(m, { kind: GRADING_RUN, params: { year, usccs: orgs.map((o) => o.uscc) }, key });
}

/**
 * Asks for the year's grading: while a run of that year is queued or running, asking again
 * returns it; otherwise a new run is recorded and queued (its job id is the run's id, so it is
 * queued once). The worker carries it out chunk by chunk.
 */
export async function startGradingRun(rt: SocialOrganisationsRuntime, year: number): Promise<JobRun> {
  assertYear(year);
  const run = await rt.ds.transaction(async (m) => {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`so-grading-run:${year}`]);
    const active: { id: string }[] = await m.query(
      `SELECT id FROM "${SCHEMA}".job_runs WHERE kind = $1 AND (params->>'year')::int = $2 AND status IN ('QUEUED', 'RUNNING') ORDER BY created_at LIMIT 1`,
      [GRADING_RUN, year],
    );
    if (active.length) return (await rt.runs.get(m, active[0].id))!;
    return createRun(rt, m, year, null);
  });
  await rt.gradingQueue.add(
    'grade',
    { runId: run.id },
    { jobId: run.id, attempts: 5, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: { age: 7 * 24 * 3600 }, removeOnFail: false },
  );
  return run;
}

/**
 * Carries out a recorded run: the organisations in chunks, each chunk's grading, its record of
 * which organisations this run graded, and the run's checkpoint committed together, then the
 * year's funding rewards as the last item. A retry after a crash starts at the first chunk not
 * committed, so every organisation is graded exactly once per run.
 */
export async function gradeRun(rt: SocialOrganisationsRuntime, runId: string, onProgress?: (progress: number) => unknown): Promise<JobRun> {
  const run = await rt.runs.get(rt.ds, runId);
  if (!run || run.kind !== GRADING_RUN) throw new Error(`no organisation grading run ${runId}`);
  const year = Number(run.params.year);
  const usccs = run.params.usccs as string[];
  return runChunked({
    dataSource: rt.ds,
    runs: rt.runs,
    runId,
    total: usccs.length + 1,
    chunkSize: rt.options.gradingChunkSize,
    async processChunk(m, offset, limit) {
      const batch = usccs.slice(offset, Math.min(offset + limit, usccs.length));
      // the chunk's gradings, postings and record of what this run graded: one statement
      await regradeMany(rt, m, batch, year, `run:${runId}`, { runId });
      if (offset + limit > usccs.length) await decideRewards(rt, m, year);
      return { graded: batch.length };
    },
    onProgress: (p) => onProgress?.(p),
  });
}

/** Records (or, with a key already used, finds) a run for the year and carries it out here. */
export async function gradeYear(rt: SocialOrganisationsRuntime, year: number, key: string | null, onProgress?: (progress: number) => unknown): Promise<number> {
  assertYear(year);
  const run = await rt.ds.transaction((m) => createRun(rt, m, year, key));
  await gradeRun(rt, run.id, onProgress);
  return (run.params.usccs as string[]).length;
}

/**
 * Waits for a queued run's job to finish (through the queue's events, so the worker may be
 * another process) and returns the run as it ended.
 */
export async function waitForGradingRun(rt: SocialOrganisationsRuntime, run: JobRun): Promise<JobRun> {
  if (run.status !== 'COMPLETED') {
    const job = await rt.gradingQueue.getJob(run.id);
    if (!job) throw new Error(`the job of grading run ${run.id} is gone`);
    await job.waitUntilFinished(rt.gradingEvents, rt.options.gradingWaitMs);
  }
  return (await rt.runs.get(rt.ds, run.id))!;
}

export async function gradingRun(rt: SocialOrganisationsRuntime, id: string): Promise<JobRun | null> {
  if (!isUuid(id)) return null;
  const run = await rt.runs.get(rt.ds, id);
  return run && run.kind === GRADING_RUN ? run : null;
}
