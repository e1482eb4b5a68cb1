import { createHash, timingSafeEqual } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { badInput, cityDate, maskName } from '@citypoints/kit';
import type { RunStatus } from '@citypoints/federation';
import { ApplicationStatus } from '../admission/application.type';
import type { Ctx, SettlementRuntime } from '../runtime';
import { listedStatus, resultLoader } from '../admission/admission.service';
import type { ScoredLine } from '../schemes/engine';
import { VerificationStatus } from '../schemes/scheme.type';
import type { AdmissionLookup } from './lookup.type';

const S = 'settlement';

/** What the lookup needs of settlement's runtime. */
export type LookupRuntime = Pick<SettlementRuntime, 'ds' | 'clock'>;


interface Limit {
  attempts: number;
  windowSeconds: number;
}

const LAST6 = /^[0-9]{5}[0-9X]$/;
const APPLICATION_NO = /^[A-Z0-9-]{1,40}$/;
const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
/** compared against when no application has the number, so both paths do the same work */
const ABSENT = digest('\u0000absent');

function rateLimited(retryAfterSeconds: number): GraphQLError {
  return new GraphQLError('too many lookups; please try again later', { extensions: { code: 'RATE_LIMITED', retryAfterSeconds } });
}

/**
 * Counts one attempt against the key in the current window and refuses once the window's
 * allowance is spent. Counting happens before the pair is checked, so a refusal says nothing
 * about whether the number exists.
 */
async function spend(rt: LookupRuntime, key: string, limit: Limit): Promise<void> {
  const nowMs = rt.clock.now().getTime();
  const windowMs = limit.windowSeconds * 1000;
  const start = new Date(Math.floor(nowMs / windowMs) * windowMs);
  const rows: { attempts: number }[] = await rt.ds.query(
    `INSERT INTO "${S}".lookup_attempts (key, window_start, attempts) VALUES ($1, $2, 1)
     ON CONFLICT (key, window_start) DO UPDATE SET attempts = lookup_attempts.attempts + 1
     RETURNING attempts`,
    [key, start],
  );
  if (rows[0].attempts > limit.attempts) throw rateLimited(Math.max(1, Math.ceil((start.getTime() + windowMs - nowMs) / 1000)));
}

async function limits(rt: LookupRuntime): Promise<{ address: Limit; application: Limit }> {
  const rows: { key: string; value: Limit }[] = await rt.ds.query(`SELECT key, value FROM "${S}".settings WHERE key IN ('lookup_limit_per_address', 'lookup_limit_per_application')`);
  const of = (k: string) => {
    const v = rows.find((r) => r.key === k)?.value;
    if (!v || !(v.attempts > 0) || !(v.windowSeconds > 0)) throw new Error(`settlement setting ${k} is missing or invalid`);
    return v;
  };
  return { address: of('lookup_limit_per_address'), application: of('lookup_limit_per_application') };
}

interface ApplicationRow {
  application_no: string;
  year: number;
  grade: AdmissionLookup['grade'];
  town_code: string;
  child_name: string;
  child_id_number: string;
  status: 'SUBMITTED' | 'VERIFIED' | 'WITHDRAWN' | 'DISQUALIFIED';
  preferences: string[];
  breakdown: { total: number; lines: (ScoredLine & { source?: string | null })[] };
  submitted_at: Date;
  parent_name_masked: string | null;
  scheme_code: string;
  scheme_version: number;
}

/**
 * The public admission lookup (DOMAIN §1): an application number and the last 6 characters of
 * the child's ID number. A wrong pair answers exactly as a number nobody holds does — null —
 * and the pair is compared in constant time. Attempts are limited per client address and per
 * application number.
 */
export async function admissionLookup(ctx: Ctx, applicationNo: string, idNumberLast6: string): Promise<AdmissionLookup | null> {
  const rt = ctx.rt;
  const clientAddress = ctx.clientAddress;
  const no = (applicationNo ?? '').trim().toUpperCase();
  const last6 = (idNumberLast6 ?? '').trim().toUpperCase();
  const limit = await limits(rt);
  await spend(rt, `address:${clientAddress || 'unknown'}`, limit.address);
  if (!LAST6.test(last6)) throw badInput('idNumberLast6 must be the last 6 characters of an ID number (digits, the last may be X)', { field: 'idNumberLast6' });
  if (!APPLICATION_NO.test(no)) return null;
  await spend(rt, `application:${no}`, limit.application);

  const rows: ApplicationRow[] = await rt.ds.query(
    `SELECT a.application_no, a.year, a.grade, a.town_code, a.child_name, a.child_id_number, a.status, a.preferences::text[] AS preferences,
            a.breakdown, a.submitted_at, p.name_masked AS parent_name_masked, s.code AS scheme_code, s.version AS scheme_version
     FROM "${S}".school_applications a
     JOIN "${S}".schemes s ON s.id = a.scheme_id
     LEFT JOIN "${S}".residents p ON p.id = a.parent_id
     WHERE a.application_no = $1`,
    [no],
  );
  const row = rows[0];
  const same = timingSafeEqual(digest(last6), row ? digest(row.child_id_number.slice(-6).toUpperCase()) : ABSENT);
  if (!row || !same) return null;
  return describe(ctx, row);
}

async function describe(ctx: Ctx, a: ApplicationRow): Promise<AdmissionLookup> {
  const rt = ctx.rt;
  // rank, placement and status exactly as the application's own fields resolve them
  const placed = await resultLoader(ctx).load(a.application_no);
  const runs: { completed_at: Date | null; publicised_on: string | null; publicity_until: string | null; seed: string; run_status: RunStatus }[] = await rt.ds.query(
    `SELECT ar.completed_at, ar.seed, j.status AS run_status,
            to_char(ar.publicised_on, 'YYYY-MM-DD') AS publicised_on, to_char(ar.publicity_until, 'YYYY-MM-DD') AS publicity_until
     FROM "${S}".admission_current c
     JOIN "${S}".admission_runs ar ON ar.id = c.run_id
     JOIN "${S}".job_runs j ON j.id = ar.id
     WHERE c.year = $1 AND c.town_code = $2 AND c.grade = $3`,
    [a.year, a.town_code, a.grade],
  );
  const r = runs[0];
  const schoolIds = [...a.preferences, ...(placed?.schoolId ? [placed.schoolId] : [])];
  const schools: { id: string; name: string; town_code: string }[] = await rt.ds.query(`SELECT id, name, town_code FROM "${S}".schools WHERE id = ANY($1::uuid[])`, [schoolIds]);
  const school = (id: string) => {
    const s = schools.find((x) => x.id === id);
    return s ? { id: s.id, name: s.name, townCode: s.town_code } : null;
  };
  const rechecks: { code: string; requested_at: Date; answered_at: Date | null; answer: { status?: VerificationStatus } | null }[] = await rt.ds.query(
    `SELECT code, requested_at, answered_at, answer FROM "${S}".rechecks WHERE application_no = $1 ORDER BY requested_at, id`,
    [a.application_no],
  );
  const today = cityDate(rt.clock.now());
  const withdrawn = a.status === 'WITHDRAWN' || a.status === 'DISQUALIFIED';
  const status = withdrawn ? ApplicationStatus[a.status as 'WITHDRAWN' | 'DISQUALIFIED'] : placed ? listedStatus(placed.outcome, placed.phase) : ApplicationStatus[a.status as 'SUBMITTED' | 'VERIFIED'];
  const recheckOpen = !withdrawn && placed?.phase === 'PUBLICISED' && !!r?.publicised_on && !!r.publicity_until && r.publicised_on <= today && today <= r.publicity_until;
  return {
    applicationNo: a.application_no,
    year: a.year,
    grade: a.grade,
    town: { code: a.town_code },
    parentNameMasked: a.parent_name_masked ?? '*',
    childNameMasked: maskName(a.child_name),
    status,
    submittedAt: a.submitted_at,
    total: Number(a.breakdown.total),
    schemeCode: a.scheme_code,
    schemeVersion: a.scheme_version,
    lines: a.breakdown.lines.map((l) => ({
      code: l.code,
      label: l.label,
      claimed: l.claimed,
      verified: l.verified,
      status: VerificationStatus[l.status],
      points: Number(l.points),
      capped: !!l.capped,
      source: l.source ?? null,
    })),
    preferences: a.preferences.map(school).filter((s): s is NonNullable<typeof s> => !!s),
    rank: placed?.rank ?? null,
    poolSize: placed?.poolSize ?? null,
    placement: placed?.schoolId ? school(placed.schoolId) : null,
    cutoff: placed?.cutoff ?? null,
    outOfPoolReason: placed?.reason ?? null,
    run: r
      ? { status: r.run_status, completedAt: r.completed_at, publicisedOn: r.publicised_on, publicityUntil: r.publicity_until, seed: r.seed }
      : null,
    recheckOpen,
    rechecks: rechecks.map((x) => ({ code: x.code, requestedAt: x.requested_at, answeredAt: x.answered_at, answerStatus: x.answer?.status ?? null })),
  };
}
