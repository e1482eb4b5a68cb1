import type { EntityManager } from 'typeorm';
import { forbidden, notFound, offsetFromCursor, offsetPage, pageSize } from '@citypoints/kit';
import { canReachDivision, hasRole, isCityWide, type Caller } from '@citypoints/auth';
import { isCivilAffairs } from '../organisations/access';
import { loader } from '@citypoints/federation';
import type { Ledger } from '@citypoints/ledger';
import { SCHEMA, type Ctx, type SocialOrganisationsRuntime } from '../runtime';
import { schemeForYear, assertYear } from '../scheme/scheme.service';
import type { Grade } from '../scheme/scheme.rules';
import { computeGrading, rewardPlaces, type GradingLineValue, type MemberEffectKind } from './grading.rules';

export interface StoredGrading {
  uscc: string;
  year: number;
  schemeCode: string;
  schemeVersion: number;
  points: number;
  grade: Grade;
  supervision: string;
  exitFlagged: boolean;
  lines: GradingLineValue[];
  removedLines: GradingLineValue[];
  rewarded: boolean;
  rewardRank: number | null;
  rewardAmount: number | null;
  gradedAt: Date;
  /** the organisation's division, for scoping the officials who read it */
  divisionCode: string | null;
}

interface GradingRow {
  uscc: string;
  year: number;
  scheme_code: string;
  scheme_version: number;
  points: string;
  grade: Grade;
  supervision: string;
  exit_flagged: boolean;
  lines: GradingLineValue[];
  removed_lines: GradingLineValue[];
  rewarded: boolean;
  reward_rank: number | null;
  reward_amount: string | null;
  graded_at: Date;
  division_code: string | null;
}

const toGrading = (r: GradingRow): StoredGrading => ({
  uscc: r.uscc,
  year: r.year,
  schemeCode: r.scheme_code,
  schemeVersion: r.scheme_version,
  points: Number(r.points),
  grade: r.grade,
  supervision: r.supervision,
  exitFlagged: r.exit_flagged,
  lines: r.lines,
  removedLines: r.removed_lines,
  rewarded: r.rewarded,
  rewardRank: r.reward_rank,
  rewardAmount: r.reward_amount === null ? null : Number(r.reward_amount),
  gradedAt: r.graded_at,
  divisionCode: r.division_code,
});

const GRADING_COLUMNS = `g.uscc, g.year, g.scheme_code, g.scheme_version, g.points, g.grade, g.supervision, g.exit_flagged, g.lines, g.removed_lines,
  g.rewarded, g.reward_rank, g.reward_amount, g.graded_at, o.division_code`;

/** Grading points are kept in hundredths on the ledger, which moves whole numbers. */
const LEDGER_UNITS = 100;
export const pointsAccount = (uscc: string, year: number) => `so:grading:${uscc}:${year}`;
const sourceAccount = (uscc: string, year: number) => `so:grading-source:${uscc}:${year}`;

/** What regrading needs of the runtime: the clock that stamps gradings and the ledger of their points. */
export type GradingDeps = Pick<SocialOrganisationsRuntime, 'clock' | 'ledger'>;

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Recomputes organisations' gradings of one year from their records, stores each with the scheme
 * version and lines, and moves each difference onto the organisation's points account. Each
 * (organisation, year) is locked first, always in USCC order, so concurrent writers neither
 * store a stale total nor deadlock. `cause` names the change (a record id, a job run) and makes
 * the ledger postings idempotent.
 */
export async function regradeMany(rt: GradingDeps, m: EntityManager, usccList: readonly string[], year: number, cause: string): Promise<void> {
  const usccs = [...new Set(usccList)].sort(byCodeUnits);
  if (!usccs.length) return;
  await m.query(
    `SELECT pg_advisory_xact_lock(hashtext('so-grading:' || u || ':' || $2::text)) FROM (SELECT u FROM unnest($1::text[]) AS u ORDER BY u COLLATE "C") s`,
    [usccs, year],
  );
  const scheme = await schemeForYear(m, year);
  // the facts of every organisation of the batch in one statement, one row each: each category's
  // entries summed by the database, violations and member effects in the order they count
  const facts: {
    uscc: string;
    categories: string[] | null;
    totals: string[] | null;
    counts: number[] | null;
    violations: [number, string | null][];
    effects: [MemberEffectKind, string, string | null, string, boolean][];
  }[] = await m.query(
    `WITH ind AS (
       SELECT uscc, array_agg(category) AS categories, array_agg(total) AS totals, array_agg(n) AS counts FROM (
         SELECT uscc, category, sum(points) AS total, count(*)::int AS n FROM "${SCHEMA}".indicator_records
          WHERE uscc = ANY($1::text[]) AND year = $2 GROUP BY uscc, category) c
        GROUP BY uscc
     ), vio AS (
       SELECT uscc, jsonb_agg(jsonb_build_array(severity, note) ORDER BY created_at, id) AS j FROM "${SCHEMA}".violations
        WHERE uscc = ANY($1::text[]) AND year = $2 GROUP BY uscc
     ), eff AS (
       SELECT organisation_uscc AS uscc,
              jsonb_agg(jsonb_build_array(effect, enterprise_uscc, record_kind, reference, removed_at IS NOT NULL) ORDER BY occurred_at, enterprise_uscc, source_key) AS j
         FROM "${SCHEMA}".member_effects WHERE organisation_uscc = ANY($1::text[]) AND year = $2 GROUP BY organisation_uscc
     )
     SELECT u.uscc, ind.categories, ind.totals::text[] AS totals, ind.counts, coalesce(vio.j, '[]'::jsonb) AS violations, coalesce(eff.j, '[]'::jsonb) AS effects
       FROM unnest($1::text[]) AS u(uscc)
       LEFT JOIN ind ON ind.uscc = u.uscc LEFT JOIN vio ON vio.uscc = u.uscc LEFT JOIN eff ON eff.uscc = u.uscc`,
    [usccs, year],
  );
  const factsOf = new Map(facts.map((f) => [f.uscc, f]));
  const computed = usccs.map((uscc) => {
    const f = factsOf.get(uscc)!;
    return computeGrading(scheme.definition, {
      indicators: (f.categories ?? []).map((category, i) => ({ category, points: Number(f.totals![i]), records: f.counts![i] })),
      violations: f.violations.map(([severity, note]) => ({ severity: Number(severity), note })),
      effects: f.effects.map(([effect, enterpriseUscc, recordKind, reference, removed]) => ({ effect, enterpriseUscc, recordKind, reference, removed })),
    });
  });
  await m.query(
    `INSERT INTO "${SCHEMA}".gradings (uscc, year, scheme_id, scheme_code, scheme_version, points, grade, supervision, exit_flagged, lines, removed_lines, graded_at)
     SELECT t.uscc, $2, $3, $4, $5, t.points, t.grade, t.supervision, t.exit_flagged, t.lines::jsonb, t.removed_lines::jsonb, $6
     FROM unnest($1::text[], $7::numeric[], $8::text[], $9::text[], $10::boolean[], $11::text[], $12::text[])
       AS t(uscc, points, grade, supervision, exit_flagged, lines, removed_lines)
     ON CONFLICT (uscc, year) DO UPDATE SET scheme_id = EXCLUDED.scheme_id, scheme_code = EXCLUDED.scheme_code, scheme_version = EXCLUDED.scheme_version,
       points = EXCLUDED.points, grade = EXCLUDED.grade, supervision = EXCLUDED.supervision, exit_flagged = EXCLUDED.exit_flagged,
       lines = EXCLUDED.lines, removed_lines = EXCLUDED.removed_lines, graded_at = EXCLUDED.graded_at`,
    [usccs, year, scheme.id, scheme.code, scheme.version, rt.clock.now(),
      computed.map((c) => c.points), computed.map((c) => c.grade), computed.map((c) => c.supervision), computed.map((c) => c.exitFlagged),
      computed.map((c) => JSON.stringify(c.lines)), computed.map((c) => JSON.stringify(c.removedLines))],
  );
  await postDifferences(rt.ledger, m, usccs, year, computed.map((c) => Math.round(c.points * LEDGER_UNITS)), cause);
}

export async function regrade(rt: GradingDeps, m: EntityManager, uscc: string, year: number, cause: string): Promise<StoredGrading> {
  await regradeMany(rt, m, [uscc], year, cause);
  return (await storedGrading(m, uscc, year))!;
}

/**
 * Moves each organisation's points account to its target: the accounts missing opened in one
 * statement, the differences posted in one bulk post (a transaction per organisation, keyed by
 * organisation, year and cause, so a repeated cause posts once).
 */
async function postDifferences(ledger: Ledger, m: EntityManager, usccs: string[], year: number, targets: number[], cause: string): Promise<void> {
  const accounts = await ledger.accounts(m, usccs.map((u) => pointsAccount(u, year)));
  const moves = usccs.map((uscc, i) => ({ uscc, opened: accounts[i] !== null, delta: targets[i] - (accounts[i]?.balance ?? 0) })).filter((x) => x.delta !== 0);
  const opening = moves.filter((x) => !x.opened);
  if (opening.length) {
    await ledger.openAccounts(m, opening.flatMap(({ uscc }) => [
      { id: pointsAccount(uscc, year), ownerId: uscc, kind: 'ORGANISATION_GRADING', allowNegative: true },
      { id: sourceAccount(uscc, year), ownerId: uscc, kind: 'ORGANISATION_GRADING_SOURCE', allowNegative: true },
    ]));
  }
  // both accounts of each transaction are the organisation's own, so no two organisations ever wait on one account
  await ledger.postAll(m, moves.map(({ uscc, delta }) => ({
    idempotencyKey: `so-grading:${uscc}:${year}:${cause}`,
    kind: 'ORGANISATION_GRADING',
    memo: `grading ${year} of ${uscc}`,
    metadata: { uscc, year, cause },
    entries: [
      { accountId: pointsAccount(uscc, year), amount: delta },
      { accountId: sourceAccount(uscc, year), amount: -delta },
    ],
  })));
}

async function gradingsByKeys(m: Pick<EntityManager, 'query'>, keys: readonly string[]): Promise<Map<string, StoredGrading>> {
  const pairs = keys.map((k) => {
    const [uscc, year] = k.split('|');
    return { uscc, year: year ? Number(year) : null };
  });
  // a key without a year asks for the organisation's latest graded year
  const rows: (GradingRow & { key_uscc: string; key_year: number | null })[] = await m.query(
    `SELECT DISTINCT ON (k.u, k.y) k.u AS key_uscc, k.y AS key_year, ${GRADING_COLUMNS}
     FROM unnest($1::text[], $2::int[]) AS k(u, y)
     JOIN "${SCHEMA}".gradings g ON g.uscc = k.u AND (k.y IS NULL OR g.year = k.y)
     LEFT JOIN "${SCHEMA}".organisations o ON o.uscc = g.uscc
     ORDER BY k.u, k.y, g.year DESC`,
    [pairs.map((p) => p.uscc), pairs.map((p) => p.year)],
  );
  return new Map(rows.map((r) => [gradingKey(r.key_uscc, r.key_year), toGrading(r)]));
}

/** The stored grading of one organisation and year, as it is now. */
export async function storedGrading(m: Pick<EntityManager, 'query'>, uscc: string, year: number): Promise<StoredGrading | null> {
  const key = gradingKey(uscc, year);
  return (await gradingsByKeys(m, [key])).get(key) ?? null;
}

/** Gradings of many (organisation, year) pairs in one query per request. */
export function gradingLoader(ctx: Ctx) {
  return loader<string, StoredGrading | null>(ctx, 'organisation-grading', async (keys) => {
    const found = await gradingsByKeys(ctx.rt.ds, keys);
    return keys.map((k) => found.get(k) ?? null);
  });
}

export const gradingKey = (uscc: string, year: number | null | undefined) => `${uscc}|${year ?? ''}`;

/**
 * Gradings are read by the city admin, department analysts and civil affairs city-wide, and by
 * town officials for their own town; another department's feed reads none.
 */
export function requireGradingReader(caller: Caller): Caller {
  if (isCityWide(caller) || isCivilAffairs(caller) || hasRole(caller, 'TOWN_OFFICIAL')) return caller;
  throw forbidden('gradings are read by the city, civil affairs and town officials');
}

/** Officials read gradings of their own town; city-wide callers and civil affairs read all. */
export function canReadGrading(caller: Caller, divisionCode: string | null): boolean {
  if (isCityWide(caller) || isCivilAffairs(caller)) return true;
  return hasRole(caller, 'TOWN_OFFICIAL') && canReachDivision(caller, divisionCode);
}

export function assertCanReadGrading(caller: Caller, g: StoredGrading): void {
  if (!canReadGrading(caller, g.divisionCode)) throw forbidden(`organisation ${g.uscc} is outside the caller's division`);
}

/** The division prefix a caller's lists are limited to: null for city-wide readers, undefined for none at all. */
function listScope(caller: Caller): string | null | undefined {
  requireGradingReader(caller);
  return isCityWide(caller) || isCivilAffairs(caller) ? null : caller.division;
}

const LIST_FROM = `FROM "${SCHEMA}".gradings g JOIN "${SCHEMA}".organisations o ON o.uscc = g.uscc
  WHERE g.year = $1 AND ($2::text IS NULL OR o.kind = $2) AND ($3::text IS NULL OR (o.division_code IS NOT NULL AND o.division_code LIKE $3 || '%'))
    AND ($4::text IS NULL OR g.grade = $4) AND ($5::boolean IS NULL OR g.exit_flagged = $5)`;
const LIST_ORDER = `ORDER BY g.points DESC, g.uscc COLLATE "C"`;

/** Organisations of the year, best first; town officials see their own town's. */
export async function ranking(rt: SocialOrganisationsRuntime, caller: Caller, year: number, kind: string | null): Promise<{ uscc: string }[]> {
  assertYear(year);
  const scope = listScope(caller);
  // an official without a division claim reaches no organisation
  if (scope === undefined) return [];
  return rt.ds.query(`SELECT g.uscc ${LIST_FROM} ${LIST_ORDER}`, [year, kind, scope, null, null]);
}

export interface GradingFilter {
  year: number;
  kind: string | null;
  grade: string | null;
  exitFlagged: boolean | null;
  first: number | null;
  after: string | null;
}

/** A page of the year's gradings in ranking order, filtered for supervision work (e.g. every RED one, or those flagged for exit). */
export async function listGradings(rt: SocialOrganisationsRuntime, caller: Caller, f: GradingFilter) {
  assertYear(f.year);
  const size = pageSize(f.first);
  const offset = offsetFromCursor(f.after);
  const scope = listScope(caller);
  if (scope === undefined) return offsetPage([], offset, size, 0);
  const params = [f.year, f.kind, scope, f.grade, f.exitFlagged];
  const [{ n }]: { n: number }[] = await rt.ds.query(`SELECT count(*)::int AS n ${LIST_FROM}`, params);
  const rows: GradingRow[] = await rt.ds.query(`SELECT ${GRADING_COLUMNS} ${LIST_FROM} ${LIST_ORDER} LIMIT $6 OFFSET $7`, [...params, size, offset]);
  return offsetPage(rows.map(toGrading), offset, size, n);
}

/** The scheme's reward places for the year, from the stored points; every other grading loses its place. */
export async function decideRewards(rt: Pick<SocialOrganisationsRuntime, 'clock'>, m: EntityManager, year: number): Promise<void> {
  await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`so-rewards:${year}`]);
  const scheme = await schemeForYear(m, year);
  const graded: { uscc: string; kind: string; points: string }[] = await m.query(
    `SELECT g.uscc, o.kind, g.points FROM "${SCHEMA}".gradings g JOIN "${SCHEMA}".organisations o ON o.uscc = g.uscc WHERE g.year = $1`,
    [year],
  );
  const places = rewardPlaces(scheme.definition, graded.map((g) => ({ uscc: g.uscc, kind: g.kind, points: Number(g.points) })));
  // only the rows whose place changes (a place lost, a place won or moved) or that no decision
  // has covered yet are written; the time a row's place was last decided goes with it
  const won = [...places];
  await m.query(
    `WITH places AS (SELECT * FROM unnest($2::text[], $3::int[], $4::numeric[]) AS p(uscc, rank, amount))
     UPDATE "${SCHEMA}".gradings g
        SET rewarded = p.uscc IS NOT NULL, reward_rank = p.rank, reward_amount = p.amount, rewards_decided_at = $5
       FROM "${SCHEMA}".gradings s LEFT JOIN places p ON p.uscc = s.uscc
      WHERE g.year = $1 AND s.year = $1 AND s.uscc = g.uscc
        AND (g.rewards_decided_at IS NULL OR g.rewarded IS DISTINCT FROM (p.uscc IS NOT NULL) OR g.reward_rank IS DISTINCT FROM p.rank OR g.reward_amount IS DISTINCT FROM p.amount)`,
    [year, won.map(([u]) => u), won.map(([, p]) => p.rank), won.map(([, p]) => p.amount), rt.clock.now()],
  );
}

export async function requireOrganisation(m: Pick<EntityManager, 'query'>, uscc: string): Promise<{ uscc: string; kind: string; divisionCode: string | null }> {
  const rows: { uscc: string; kind: string; division_code: string | null }[] = await m.query(
    `SELECT uscc, kind, division_code FROM "${SCHEMA}".organisations WHERE uscc = $1`,
    [uscc],
  );
  if (!rows.length) throw notFound('social organisation', uscc);
  return { uscc: rows[0].uscc, kind: rows[0].kind, divisionCode: rows[0].division_code };
}
