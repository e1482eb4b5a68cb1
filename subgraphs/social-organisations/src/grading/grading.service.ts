import type { EntityManager } from 'typeorm';
import { forbidden, notFound, offsetFromCursor, offsetPage, pageSize } from '@citypoints/kit';
import { canReachDivision, hasRole, isCityWide, type Caller } from '@citypoints/auth';
import { isCivilAffairs } from '../organisations/access';
import { loader } from '@citypoints/federation';
import { runSetPosting, type Ledger, type SetPostingOutcome } from '@citypoints/ledger';
import { SCHEMA, type Ctx, type SocialOrganisationsRuntime } from '../runtime';
import { schemeForYear, assertYear } from '../scheme/scheme.service';
import type { Grade, GradingScheme } from '../scheme/scheme.rules';
import { rewardPlaces, type GradingLineValue } from './grading.rules';

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
/** An organisation's points account of a year; regradeSql names it, and its source account `so:grading-source:…`, the same way. */
export const pointsAccount = (uscc: string, year: number) => `so:grading:${uscc}:${year}`;

/** What regrading needs of the runtime: the clock that stamps gradings and the ledger of their points. */
export type GradingDeps = Pick<SocialOrganisationsRuntime, 'clock' | 'ledger'>;

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The statement that regrades a set of organisations ($1, USCC order) for one year ($2): each
 * category's entries summed and capped, violations and member effects as lines in the order
 * they count, points, grade and exit flag from the scheme's definition ($7, data like any other
 * scheme value), the gradings upserted ($3–$5 the scheme, $6 the time), and each difference
 * between the new points (in hundredths) and the organisation's points account posted to it from
 * its source account, the accounts opened where missing ($8 the cause, in the idempotency keys);
 * with a grading run ($9, else null), that the run graded these organisations (grading_run_items).
 * The same rules as computeGrading (grading.rules.ts), which the tests hold it to.
 */
export function regradeSql(ledger: Ledger): string {
  const S = `"${SCHEMA}"`;
  const { ctes, outcome } = ledger.setPostingSql({ moves: 'moves', now: '$6::timestamptz' });
  return `WITH def AS (SELECT $7::jsonb AS d),
  cats AS (
    SELECT c.ord, c.e->>'code' AS code, c.e->>'label' AS label, (c.e->>'cap')::numeric AS cap
      FROM def, jsonb_array_elements(def.d->'categories') WITH ORDINALITY AS c(e, ord)
  ),
  grades AS MATERIALIZED (
    SELECT g.ord, g.e->>'grade' AS grade, g.e->>'supervision' AS supervision, (g.e->>'minPoints')::numeric AS min_points
      FROM def, jsonb_array_elements(def.d->'grades') WITH ORDINALITY AS g(e, ord)
  ),
  ind AS (
    SELECT uscc, category, sum(points) AS total, count(*) AS n FROM ${S}.indicator_records
     WHERE uscc = ANY($1::text[]) AND year = $2::int GROUP BY uscc, category
  ),
  cat_lines AS (
    SELECT o.uscc, c.ord, c.code, c.label, c.cap, round(coalesce(i.total, 0), 2) AS raw, coalesce(i.n, 0) AS n
      FROM unnest($1::text[]) AS o(uscc) CROSS JOIN cats c LEFT JOIN ind i ON i.uscc = o.uscc AND i.category = c.code
  ),
  lines AS (
    SELECT uscc, 1 AS part, ord, false AS removed, CASE WHEN raw > cap THEN cap ELSE raw END AS points,
           json_build_object('category', code, 'points', trim_scale(CASE WHEN raw > cap THEN cap ELSE raw END), 'capped', raw > cap,
             'note', label || ': ' || n || ' record(s), ' || trim_scale(raw) || ' entered' || CASE WHEN raw > cap THEN ', capped at ' || trim_scale(cap) ELSE '' END) AS line
      FROM cat_lines
    UNION ALL
    SELECT uscc, 2, row_number() OVER (PARTITION BY uscc ORDER BY created_at, id), false, -severity,
           json_build_object('category', 'VIOLATION', 'points', -severity, 'capped', false, 'note', note)
      FROM ${S}.violations WHERE uscc = ANY($1::text[]) AND year = $2::int
    UNION ALL
    SELECT e.organisation_uscc, 3, row_number() OVER (PARTITION BY e.organisation_uscc ORDER BY e.occurred_at, e.enterprise_uscc, e.source_key),
           e.removed_at IS NOT NULL, -x.deduction,
           json_build_object('category', e.effect, 'points', trim_scale(-x.deduction), 'capped', false, 'note',
             CASE WHEN e.effect = 'MEMBER_BLACKLISTED' THEN 'member ' || e.enterprise_uscc || ' turned BLACK on ' || e.reference
                  ELSE 'member ' || e.enterprise_uscc || ': ' || coalesce(e.record_kind, 'null') || ' record ' || e.reference END)
      FROM ${S}.member_effects e CROSS JOIN def CROSS JOIN LATERAL (
        SELECT CASE WHEN e.effect = 'MEMBER_BLACKLISTED' THEN (def.d->'memberEffects'->>'blacklisting')::numeric
                    ELSE coalesce((def.d->'memberEffects'->'recordKinds'->>coalesce(e.record_kind, ''))::numeric, 0) END AS deduction) x
     WHERE e.organisation_uscc = ANY($1::text[]) AND e.year = $2::int
  ),
  totals AS (
    SELECT uscc, round(coalesce(sum(points) FILTER (WHERE NOT removed), 0), 2) AS points,
           coalesce(json_agg(line ORDER BY part, ord) FILTER (WHERE NOT removed), '[]')::jsonb AS lines,
           coalesce(json_agg(line ORDER BY part, ord) FILTER (WHERE removed), '[]')::jsonb AS removed_lines
      FROM lines GROUP BY uscc
  ),
  graded AS (
    SELECT t.uscc, t.points, t.lines, t.removed_lines, g.grade, g.supervision, t.points < (def.d->>'exitBelow')::numeric AS exit_flagged
      FROM totals t CROSS JOIN def CROSS JOIN LATERAL (
        SELECT grade, supervision FROM grades WHERE min_points IS NULL OR t.points >= min_points ORDER BY ord LIMIT 1) g
  ),
  saved AS (
    INSERT INTO ${S}.gradings (uscc, year, scheme_id, scheme_code, scheme_version, points, grade, supervision, exit_flagged, lines, removed_lines, graded_at)
    SELECT uscc, $2::int, $3::int, $4::text, $5::int, points, grade, supervision, exit_flagged, lines, removed_lines, $6::timestamptz
      FROM graded ORDER BY uscc COLLATE "C"
    ON CONFLICT (uscc, year) DO UPDATE SET scheme_id = EXCLUDED.scheme_id, scheme_code = EXCLUDED.scheme_code, scheme_version = EXCLUDED.scheme_version,
      points = EXCLUDED.points, grade = EXCLUDED.grade, supervision = EXCLUDED.supervision, exit_flagged = EXCLUDED.exit_flagged,
      lines = EXCLUDED.lines, removed_lines = EXCLUDED.removed_lines, graded_at = EXCLUDED.graded_at
    RETURNING uscc
  ),
  run_items AS (
    INSERT INTO ${S}.grading_run_items (run_id, uscc) SELECT $9::uuid, u FROM unnest($1::text[]) AS u WHERE $9::uuid IS NOT NULL
    ON CONFLICT (run_id, uscc) DO UPDATE SET times = grading_run_items.times + 1
  ),
  differences AS (
    SELECT g.uscc, row_number() OVER (ORDER BY g.uscc COLLATE "C") AS ord, (g.points * ${LEDGER_UNITS})::bigint - coalesce(a.balance, 0) AS delta
      FROM graded g LEFT JOIN ${S}.ledger_accounts a ON a.id = 'so:grading:' || g.uscc || ':' || $2::int
  ),
  moves AS (
    SELECT 'so-grading:' || d.uscc || ':' || $2::int || ':' || $8::text AS idempotency_key, 'ORGANISATION_GRADING' AS kind,
           'grading ' || $2::int || ' of ' || d.uscc AS memo, jsonb_build_object('uscc', d.uscc, 'year', $2::int, 'cause', $8::text) AS metadata,
           d.ord AS tx_ord, x.account_id, x.amount, d.uscc AS owner_id, x.account_kind, true AS allow_negative
      FROM differences d CROSS JOIN LATERAL (VALUES
        ('so:grading:' || d.uscc || ':' || $2::int, d.delta, 'ORGANISATION_GRADING'),
        ('so:grading-source:' || d.uscc || ':' || $2::int, -d.delta, 'ORGANISATION_GRADING_SOURCE')) AS x(account_id, amount, account_kind)
     WHERE d.delta <> 0
  ),${ctes}
  SELECT ${outcome}, (SELECT count(*) FROM saved)::int AS graded`;
}

/**
 * Recomputes organisations' gradings of one year from their records, stores each with the scheme
 * version and lines, and moves each difference onto the organisation's points account, all in
 * one statement (regradeSql); `o.scheme`, the year's scheme when the caller read it in this
 * transaction; `o.runId`, the grading run whose chunk this is (recorded in the same statement);
 * `o.locked`, the caller's earlier statement took these organisations' locks below. Each (organisation, year) is locked first, always in USCC order, so
 * concurrent writers neither store a stale total nor deadlock. `cause` names the change (a record
 * id, a job run) and makes the ledger postings idempotent.
 */
export async function regradeMany(
  rt: GradingDeps,
  m: EntityManager,
  usccList: readonly string[],
  year: number,
  cause: string,
  o: { scheme?: GradingScheme; runId?: string; locked?: boolean } = {},
): Promise<void> {
  const usccs = [...new Set(usccList)].sort(byCodeUnits);
  if (!usccs.length) return;
  if (!o.locked) {
    await m.query(
      `SELECT pg_advisory_xact_lock(hashtext('so-grading:' || u || ':' || $2::text)) FROM (SELECT u FROM unnest($1::text[]) AS u ORDER BY u COLLATE "C") s`,
      [usccs, year],
    );
  }
  // a caller that read the year's scheme in this transaction passes it on
  const scheme = o.scheme ?? (await schemeForYear(m, year));
  const { rows } = await runSetPosting<SetPostingOutcome & { graded: number }>(m, regradeSql(rt.ledger), [
    usccs, year, scheme.id, scheme.code, scheme.version, rt.clock.now(), JSON.stringify(scheme.definition), cause, o.runId ?? null,
  ]);
  if (rows[0].graded !== usccs.length) throw new Error(`regraded ${rows[0].graded} of ${usccs.length} organisations`);
}

export async function regrade(rt: GradingDeps, m: EntityManager, uscc: string, year: number, cause: string): Promise<StoredGrading> {
  await regradeMany(rt, m, [uscc], year, cause);
  return (await storedGrading(m, uscc, year))!;
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
