import type { DataSource, EntityManager } from 'typeorm';
import { runChunked, type JobRun } from '@citypoints/jobs';
import { badInput, cityDate, isPeriod } from '@citypoints/kit';
import { SCHEMA } from '../context';
import type { CivicRuntime } from '../runtime';
import { passbookAccount, RED_SETTLED_ACCOUNT } from '../cards/card.service';
import { PassbookKind } from '../cards/card.type';
import { privilegesFor, rulesOn } from '../rules/rules.service';

export const RHYTHM_QUEUE = 'civic.rhythm';
export type RhythmKind = 'MONTHLY_STARS' | 'QUARTERLY_BULLETIN' | 'YEARLY_EVALUATION' | 'RED_SETTLEMENT';
export const RHYTHM_KINDS: readonly RhythmKind[] = Object.freeze(['MONTHLY_STARS', 'QUARTERLY_BULLETIN', 'YEARLY_EVALUATION', 'RED_SETTLEMENT']);

export interface RhythmJobData {
  kind: RhythmKind;
  /** YYYY-MM, YYYY-Qn or YYYY; a scheduled run leaves it out and closes the period just ended */
  period?: string;
}

/** What a rhythm run uses of the civic runtime. */
export type RhythmRuntime = Pick<CivicRuntime, 'ds' | 'runs' | 'clock' | 'ledger'>;

export interface RhythmHooks {
  chunkSize?: number;
  onProgress?(progress: number): unknown;
  /** called inside each chunk's transaction after its work: a throw here is a worker dying mid-chunk */
  afterChunkWork?(offset: number): void;
}

/** The period that ended most recently before `now` (in the city's time zone). */
export function previousPeriod(kind: RhythmKind, now: Date): string {
  const [y, mo] = cityDate(now).split('-').map(Number);
  if (kind === 'MONTHLY_STARS') return mo === 1 ? `${y - 1}-12` : `${y}-${String(mo - 1).padStart(2, '0')}`;
  if (kind === 'QUARTERLY_BULLETIN') {
    const q = Math.floor((mo - 1) / 3) + 1;
    return q === 1 ? `${y - 1}-Q4` : `${y}-Q${q - 1}`;
  }
  return String(y - 1);
}

/** The months (YYYY-MM) a period covers. */
export function monthsOf(kind: RhythmKind, period: string): string[] {
  if (kind === 'MONTHLY_STARS') {
    if (!isPeriod(period)) throw badInput('a monthly period is YYYY-MM', { field: 'period' });
    return [period];
  }
  if (kind === 'QUARTERLY_BULLETIN') {
    const m = /^(\d{4})-Q([1-4])$/.exec(period);
    if (!m) throw badInput('a quarter is YYYY-Qn', { field: 'period' });
    const first = (Number(m[2]) - 1) * 3 + 1;
    return [first, first + 1, first + 2].map((n) => `${m[1]}-${String(n).padStart(2, '0')}`);
  }
  if (!/^\d{4}$/.test(period)) throw badInput('a year is YYYY', { field: 'period' });
  return Array.from({ length: 12 }, (_, i) => `${period}-${String(i + 1).padStart(2, '0')}`);
}

/** The instant a year ends in the city's time zone. */
const yearEnd = (year: number) => `${year + 1}-01-01T00:00:00+08:00`;

type Subjects = string[];

/** What a run works through, in a fixed order. Closed periods do not change, so a restarted run sees the same list. */
async function subjectsOf(ds: DataSource, kind: RhythmKind, period: string, months: string[]): Promise<Subjects> {
  if (kind === 'MONTHLY_STARS') {
    const rows: { town_code: string }[] = await ds.query(
      `SELECT DISTINCT town_code FROM "${SCHEMA}".records WHERE status = 'APPROVED' AND approved_month = $1 ORDER BY town_code`,
      [period],
    );
    return rows.map((r) => r.town_code);
  }
  if (kind === 'QUARTERLY_BULLETIN') {
    const rows: { code: string }[] = await ds.query(
      `SELECT DISTINCT unnest(ARRAY[town_code, division_code]) AS code FROM "${SCHEMA}".records
        WHERE status = 'APPROVED' AND approved_month = ANY($1::text[]) ORDER BY code`,
      [months],
    );
    return rows.map((r) => r.code);
  }
  const year = Number(period);
  if (kind === 'RED_SETTLEMENT') {
    const rows: { id: string }[] = await ds.query(
      `SELECT id FROM "${SCHEMA}".ledger_accounts WHERE kind = 'RED' AND created_at < $1 ORDER BY id COLLATE "C"`,
      [yearEnd(year)],
    );
    return rows.map((r) => r.id);
  }
  const rows: { resident_id: string }[] = await ds.query(`SELECT resident_id FROM "${SCHEMA}".cards WHERE issued_at < $1 ORDER BY resident_id`, [yearEnd(year)]);
  return rows.map((r) => r.resident_id);
}

async function starsOfTown(m: EntityManager, month: string, town: string, top: number, rulesVersion: number): Promise<number> {
  const rows: unknown[] = await m.query(
    `INSERT INTO "${SCHEMA}".civility_stars (month, town_code, rank, resident_id, points, last_approved_at, rules_version)
     SELECT $1, $2, rank, resident_id, points, last_at, $4 FROM (
       SELECT resident_id, sum(points_credited)::int AS points, max(approved_at) AS last_at,
              row_number() OVER (ORDER BY sum(points_credited) DESC, max(approved_at), resident_id) AS rank
         FROM "${SCHEMA}".records
        WHERE status = 'APPROVED' AND passbook = 'CIVIC' AND approved_month = $1 AND town_code = $2
        GROUP BY resident_id HAVING sum(points_credited) > 0
     ) ranked WHERE rank <= $3
     ON CONFLICT DO NOTHING RETURNING resident_id`,
    [month, town, top, rulesVersion],
  );
  return rows.length;
}

async function bulletinOf(m: EntityManager, quarter: string, months: string[], division: string, top: number, rulesVersion: number, now: Date): Promise<number> {
  const rows: unknown[] = await m.query(
    `WITH scope AS (
       SELECT resident_id, points_credited, approved_at FROM "${SCHEMA}".records
        WHERE status = 'APPROVED' AND approved_month = ANY($2::text[]) AND (town_code = $3 OR division_code = $3)
     ), best AS (
       SELECT resident_id, sum(points_credited)::int AS points, max(approved_at) AS last_at FROM scope
        GROUP BY resident_id ORDER BY points DESC, last_at, resident_id LIMIT $4
     )
     INSERT INTO "${SCHEMA}".bulletins (quarter, division_code, records, points, top_residents, rules_version, built_at)
     SELECT $1, $3, (SELECT count(*) FROM scope), (SELECT coalesce(sum(points_credited), 0) FROM scope),
            coalesce((SELECT jsonb_agg(jsonb_build_object('residentId', resident_id, 'points', points) ORDER BY points DESC, last_at, resident_id) FROM best), '[]'::jsonb),
            $5, $6
     ON CONFLICT DO NOTHING RETURNING division_code`,
    [quarter, months, division, top, rulesVersion, now],
  );
  return rows.length;
}

async function evaluate(m: EntityManager, rt: RhythmRuntime, year: number, residentIds: string[], rules: Awaited<ReturnType<typeof rulesOn>>): Promise<number> {
  const approved: { resident_id: string; points: number }[] = await m.query(
    `SELECT resident_id, coalesce(sum(points_credited), 0)::int AS points FROM "${SCHEMA}".records
      WHERE resident_id = ANY($1::uuid[]) AND status = 'APPROVED' AND passbook = 'CIVIC' AND approved_month LIKE $2 GROUP BY resident_id`,
    [residentIds, `${year}-%`],
  );
  const pointsOf = new Map(approved.map((a) => [a.resident_id, a.points]));
  const accounts = await rt.ledger.accounts(m, residentIds.map((id) => passbookAccount(PassbookKind.CIVIC, id)));
  let written = 0;
  for (let i = 0; i < residentIds.length; i++) {
    const points = pointsOf.get(residentIds[i]) ?? 0;
    const balance = accounts[i]?.balance ?? 0;
    const privileges = privilegesFor(rules.rules, balance);
    const lines = [
      { rule: 'POINTS_APPROVED', detail: `points approved in ${year}`, value: points },
      { rule: 'CIVIC_BALANCE', detail: 'balance of the civic passbook at evaluation', value: balance },
      ...rules.rules.privileges.map((p) => ({ rule: 'PRIVILEGE_THRESHOLD', detail: `${p.flag} from ${p.minBalance}`, value: balance >= p.minBalance ? 1 : 0 })),
    ];
    const rows: unknown[] = await m.query(
      `INSERT INTO "${SCHEMA}".evaluations (year, resident_id, points_approved, civic_balance, privileges, lines, rules_version, evaluated_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8) ON CONFLICT DO NOTHING RETURNING resident_id`,
      [year, residentIds[i], points, balance, privileges, JSON.stringify(lines), rules.version, rt.clock.now()],
    );
    written += rows.length;
  }
  return written;
}

/**
 * One run of a rhythm job, once per (kind, period): the run row is keyed by both, its subjects
 * are worked through in chunks whose work and checkpoint commit together, and every write is
 * keyed as well (stars per month and resident, ledger settlements per account and year). A run
 * killed halfway resumes at its first uncommitted chunk; a completed run does nothing again.
 */
export async function runRhythmJob(rt: RhythmRuntime, data: RhythmJobData, hooks: RhythmHooks = {}): Promise<JobRun> {
  if (!RHYTHM_KINDS.includes(data.kind)) throw badInput(`unknown rhythm job ${String(data.kind)}`);
  const period = data.period ?? previousPeriod(data.kind, rt.clock.now());
  const months = monthsOf(data.kind, period);
  const run = await rt.runs.create(rt.ds, { kind: data.kind, params: { period }, key: `${data.kind}:${period}` });
  if (run.status === 'COMPLETED') return run;
  const subjects = await subjectsOf(rt.ds, data.kind, period, months);
  const lastDay = months[months.length - 1] + '-28';
  const rules = await rulesOn(rt.ds.manager, lastDay);
  return runChunked({
    dataSource: rt.ds,
    runs: rt.runs,
    runId: run.id,
    total: subjects.length,
    chunkSize: hooks.chunkSize ?? 50,
    onProgress: hooks.onProgress,
    async processChunk(m, offset, limit) {
      const slice = subjects.slice(offset, offset + limit);
      let done = 0;
      if (data.kind === 'MONTHLY_STARS') {
        for (const town of slice) done += await starsOfTown(m, period, town, rules.rules.starsPerTown, rules.version);
      } else if (data.kind === 'QUARTERLY_BULLETIN') {
        for (const division of slice) done += await bulletinOf(m, period, months, division, rules.rules.bulletinTopResidents, rules.version, rt.clock.now());
      } else if (data.kind === 'RED_SETTLEMENT') {
        for (const accountId of slice) {
          const s = await rt.ledger.settleYear(m, { accountId, year: Number(period), settlementAccountId: RED_SETTLED_ACCOUNT });
          if (!s.replayed) done++;
        }
      } else {
        done += await evaluate(m, rt, Number(period), slice, rules);
      }
      hooks.afterChunkWork?.(offset);
      return { written: done };
    },
  });
}
