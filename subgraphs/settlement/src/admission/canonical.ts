import { createHash } from 'node:crypto';

/**
 * The canonical form of an admission run (docs/verifiable-rankings.md): the inputs as JSON lines
 * that anyone holding them can rank and place again, and the output — the ranked, placed list —
 * in the same form. Both are hashed with SHA-256; the digests are stored and shown with the run.
 * This module is pure: the run writes these documents, `verifyAdmissionRun` and
 * tools/verify-ranking.mjs recompute the output from the inputs alone.
 */

export interface CanonicalHeader {
  year: number;
  town: string;
  grade: string;
  seed: string;
}

export interface CanonicalSeat {
  school: string;
  seats: number;
}

export interface CanonicalApplication {
  app: string;
  /** scheme code / version the application was scored under */
  scheme: string;
  total: number;
  /** the points of the scheme's two tie-breaker lines */
  tie: [number, number];
  priority: boolean;
  /** UTC, microseconds: 2026-03-10T02:01:00.000000Z */
  submittedAt: string;
  preferences: string[];
  /** every eligibility condition verified */
  eligible: boolean;
  /** SHA-256 commitment to the application's verified lines (code=verified=points;…), see the docs */
  lines: string;
}

export type Outcome = 'ADMITTED' | 'WAITLISTED' | 'REJECTED' | 'INELIGIBLE';

export interface CanonicalResult {
  rank: number | null;
  app: string;
  school: string | null;
  outcome: Outcome;
}

export const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The input document: header, seats by school id, applications by application number, one JSON object a line. */
export function inputDocument(h: CanonicalHeader, seats: CanonicalSeat[], apps: CanonicalApplication[]): string {
  const lines = [JSON.stringify({ year: h.year, town: h.town, grade: h.grade, seed: h.seed })];
  for (const s of [...seats].sort((a, b) => byCodePoint(a.school, b.school))) lines.push(JSON.stringify({ school: s.school, seats: s.seats }));
  for (const a of [...apps].sort((x, y) => byCodePoint(x.app, y.app))) {
    lines.push(
      JSON.stringify({
        app: a.app,
        scheme: a.scheme,
        total: a.total,
        tie: a.tie,
        priority: a.priority,
        submittedAt: a.submittedAt,
        preferences: a.preferences,
        eligible: a.eligible,
        lines: a.lines,
      }),
    );
  }
  return lines.map((l) => l + '\n').join('');
}

export function parseInputDocument(doc: string): { header: CanonicalHeader; seats: CanonicalSeat[]; apps: CanonicalApplication[] } {
  const rows = doc.split('\n').filter((l) => l.length).map((l) => JSON.parse(l));
  return { header: rows[0], seats: rows.filter((r) => 'school' in r), apps: rows.filter((r) => 'app' in r) };
}

/**
 * Ranks and places as docs/domain/01-school-admission.md says: out of the pool an ineligible
 * application (INELIGIBLE) and a negative total (REJECTED); in it, priority first by submission
 * time, then total, the tie-breaker points, SHA-256(seed + applicationNo) as lowercase hex, all
 * descending but the hash; each in rank order takes the first preferred school with a seat left.
 */
export function rankAndPlaceCanonical(h: CanonicalHeader, seats: CanonicalSeat[], apps: CanonicalApplication[]): CanonicalResult[] {
  const pool = apps.filter((a) => a.eligible && a.total >= 0);
  const lottery = new Map(pool.map((a) => [a.app, sha256(h.seed + a.app)]));
  pool.sort(
    (a, b) =>
      Number(b.priority) - Number(a.priority) ||
      (a.priority && b.priority ? byCodePoint(a.submittedAt, b.submittedAt) : 0) ||
      b.total - a.total ||
      b.tie[0] - a.tie[0] ||
      b.tie[1] - a.tie[1] ||
      byCodePoint(lottery.get(a.app)!, lottery.get(b.app)!) ||
      byCodePoint(a.app, b.app),
  );
  const left = new Map(seats.map((s) => [s.school, s.seats]));
  const out: CanonicalResult[] = pool.map((a, i) => {
    const school = a.preferences.find((p) => (left.get(p) ?? 0) > 0) ?? null;
    if (school) left.set(school, left.get(school)! - 1);
    return { rank: i + 1, app: a.app, school, outcome: school ? 'ADMITTED' : 'WAITLISTED' };
  });
  const outside = apps.filter((a) => !(a.eligible && a.total >= 0)).sort((x, y) => byCodePoint(x.app, y.app));
  for (const a of outside) out.push({ rank: null, app: a.app, school: null, outcome: a.eligible ? 'REJECTED' : 'INELIGIBLE' });
  return out;
}

/** The output document: the pool in rank order, then the applications kept out, by application number. */
export function outputDocument(results: CanonicalResult[]): string {
  const inPool = results.filter((r) => r.rank !== null).sort((a, b) => a.rank! - b.rank!);
  const outside = results.filter((r) => r.rank === null).sort((a, b) => byCodePoint(a.app, b.app));
  return [...inPool, ...outside].map((r) => JSON.stringify({ rank: r.rank, app: r.app, school: r.school, outcome: r.outcome }) + '\n').join('');
}
