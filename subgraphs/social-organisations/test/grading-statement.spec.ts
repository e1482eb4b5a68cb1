import 'reflect-metadata';
import { createTestDatabase, type TestDatabase } from '@citypoints/db';
import { FixedClock } from '@citypoints/kit';
import { socialOrganisations, type SocialOrganisationsRuntime } from '@citypoints/social-organisations';
import { regradeMany } from '../src/grading/grading.service';
import { computeGrading, type MemberEffectKind } from '../src/grading/grading.rules';
import { DEFAULT_SCHEME } from '../src/scheme/scheme.data';
import { schemeForYear } from '../src/scheme/scheme.service';
import type { SchemeDefinition } from '../src/scheme/scheme.rules';

const S = 'social_organisations';

/**
 * The grading statement (regradeSql: lines, points, grade and postings computed by PostgreSQL)
 * against the rules it implements (computeGrading): organisations with every kind of fact —
 * decimals, capped and empty categories, violations with and without a note, penalties of a
 * counted and an uncounted kind, blacklistings standing and lifted — graded by the statement
 * under the default scheme and under a city's own version, and each stored grading compared
 * with what the rules give for the same facts.
 */
describe('the grading statement gives what the grading rules give', () => {
  let db: TestDatabase;
  let inst: Awaited<ReturnType<typeof socialOrganisations.create>>;
  let rt: SocialOrganisationsRuntime;
  const org = (n: number) => `51441900GST${String(n).padStart(7, '0')}`;
  const ORGS = 40;

  beforeAll(async () => {
    db = await createTestDatabase('so_grading_statement');
    inst = await socialOrganisations.create({ databaseUrl: db.url, queue: { kind: 'postgres', url: db.url, schema: 'bullmq' }, clock: new FixedClock(new Date('2036-02-01T00:00:00Z')) });
    rt = inst.runtime as SocialOrganisationsRuntime;
    const q = (sql: string, params: unknown[] = []) => inst.dataSource.query(sql, params);
    await q(`INSERT INTO ${S}.organisations (uscc, name, kind) SELECT u, 'o', 'CHAMBER_OF_COMMERCE' FROM unnest($1::text[]) u`, [Array.from({ length: ORGS }, (_, i) => org(i + 1))]);
    for (const year of [2034, 2035]) {
      // records: a few per category, decimals, some categories far over their cap, some organisations with none at all
      await q(
        `INSERT INTO ${S}.indicator_records (uscc, year, category, points, idempotency_key, entered_by)
         SELECT o, $2::int, (ARRAY['BASIC_WORK','POLITICAL_ORIENTATION','INDUSTRY_SELF_DISCIPLINE','SOCIAL_GOVERNANCE','LIVELIHOOD','UNKNOWN_CATEGORY'])[1 + (n + r / 3) % 6],
                round(((n * 13 + r * 7) % 1700) / 50.0 + 0.01, 2), 'gst:' || $2::int || ':' || o || ':' || r, 'test'
           FROM unnest($1::text[]) WITH ORDINALITY AS x(o, n), generate_series(1, (n % 9)::int) r
          WHERE n % 10 <> 0`,
        [Array.from({ length: ORGS }, (_, i) => org(i + 1)), year],
      );
      // three organisations with every category full, so the grades differ
      await q(
        `INSERT INTO ${S}.indicator_records (uscc, year, category, points, idempotency_key, entered_by)
         SELECT o, $2::int, c, 40, 'gstfull:' || $2::int || ':' || o || ':' || c, 'test'
           FROM unnest($1::text[]) o, unnest(ARRAY['BASIC_WORK','POLITICAL_ORIENTATION','INDUSTRY_SELF_DISCIPLINE','SOCIAL_GOVERNANCE','LIVELIHOOD']) c`,
        [[org(3), org(6), org(9)], year],
      );
      await q(
        `INSERT INTO ${S}.violations (uscc, year, severity, note, idempotency_key, entered_by, created_at)
         SELECT o, $2::int, 10 + (n * r) % 21, CASE WHEN r % 2 = 0 THEN NULL ELSE 'late report "' || r || '"' END, 'gstv:' || $2::int || ':' || o || ':' || r, 'test',
                '2036-01-01'::timestamptz + (r || ' minutes')::interval
           FROM unnest($1::text[]) WITH ORDINALITY AS x(o, n), generate_series(1, (n % 3)::int) r`,
        [Array.from({ length: ORGS }, (_, i) => org(i + 1)), year],
      );
      await q(
        `INSERT INTO ${S}.member_effects (organisation_uscc, enterprise_uscc, year, effect, record_kind, reference, source_key, occurred_at, event_id, removed_at)
         SELECT o, 'ENT' || n || '-' || r, $2::int,
                CASE WHEN r % 3 = 0 THEN 'MEMBER_BLACKLISTED' ELSE 'MEMBER_PENALTY' END,
                CASE WHEN r % 3 = 0 THEN NULL WHEN r % 3 = 1 THEN 'PENALTY' ELSE 'HONOUR' END,
                'ref-' || r, 'src:' || $2::int || ':' || r, make_timestamptz($2::int, 1 + r % 12, 1, 0, 0, 0, 'UTC'), gen_random_uuid(),
                CASE WHEN r = 3 THEN make_timestamptz($2::int, 12, 1, 0, 0, 0, 'UTC') END
           FROM unnest($1::text[]) WITH ORDINALITY AS x(o, n), generate_series(1, (n % 5)::int) r`,
        [Array.from({ length: ORGS }, (_, i) => org(i + 1)), year],
      );
    }
    // a city's own version for 2035 on: other labels, caps, deductions, grade boundaries and exit line
    const own: SchemeDefinition = structuredClone(DEFAULT_SCHEME.definition);
    own.categories = own.categories.map((c, i) => ({ ...c, label: `${c.label}（${i}）`, cap: c.cap / 2 + 0.25 }));
    own.memberEffects = { recordKinds: { PENALTY: 2.5, HONOUR: 0 }, blacklisting: 7 };
    own.grades = [
      { grade: 'GREEN', minPoints: 30, supervision: 'light' },
      { grade: 'YELLOW', minPoints: 10.5, supervision: 'talk' },
      { grade: 'RED', minPoints: null, supervision: 'plan' },
    ];
    own.exitBelow = 5;
    await q(`INSERT INTO ${S}.grading_schemes (code, version, effective_from_year, definition, published_by) VALUES ('GST-OWN', 1, 2035, $1::jsonb, 'test')`, [JSON.stringify(own)]);
  });
  afterAll(async () => {
    await inst.close();
    await db.drop();
  });

  it.each([2034, 2035])('stores, for %i, the lines, points, grade and postings of the rules', async (year) => {
    const usccs = Array.from({ length: ORGS }, (_, i) => org(i + 1));
    await inst.dataSource.transaction((m) => regradeMany(rt, m, usccs, year, `test:${year}`));
    const scheme = await schemeForYear(inst.dataSource, year);
    expect(scheme.code).toBe(year === 2035 ? 'GST-OWN' : DEFAULT_SCHEME.code);
    const q = (sql: string) => inst.dataSource.query(sql, [usccs, year]);
    const [records, violations, effects, stored, accounts] = await Promise.all([
      q(`SELECT uscc, category, points FROM ${S}.indicator_records WHERE uscc = ANY($1) AND year = $2::int`),
      q(`SELECT uscc, severity, note FROM ${S}.violations WHERE uscc = ANY($1) AND year = $2::int ORDER BY created_at, id`),
      q(`SELECT organisation_uscc AS uscc, effect, enterprise_uscc, record_kind, reference, removed_at IS NOT NULL AS removed FROM ${S}.member_effects
          WHERE organisation_uscc = ANY($1) AND year = $2::int ORDER BY occurred_at, enterprise_uscc, source_key`),
      q(`SELECT uscc, scheme_code, points, grade, supervision, exit_flagged, lines, removed_lines FROM ${S}.gradings WHERE uscc = ANY($1) AND year = $2::int`),
      q(`SELECT owner_id AS uscc, balance FROM ${S}.ledger_accounts WHERE owner_id = ANY($1) AND kind = 'ORGANISATION_GRADING' AND id LIKE '%:' || $2::int`),
    ]);
    expect(stored).toHaveLength(ORGS);
    let withEffects = 0;
    let capped = 0;
    for (const uscc of usccs) {
      const mine = <T extends { uscc: string }>(rows: T[]) => rows.filter((r) => r.uscc === uscc);
      const expected = computeGrading(scheme.definition, {
        indicators: mine(records as { uscc: string; category: string; points: string }[]).map((r) => ({ category: r.category, points: Number(r.points) })),
        violations: mine(violations as { uscc: string; severity: number; note: string | null }[]).map((v) => ({ severity: v.severity, note: v.note })),
        effects: mine(effects as { uscc: string; effect: MemberEffectKind; enterprise_uscc: string; record_kind: string | null; reference: string; removed: boolean }[]).map((e) => ({
          effect: e.effect, enterpriseUscc: e.enterprise_uscc, recordKind: e.record_kind, reference: e.reference, removed: e.removed,
        })),
      });
      const g = mine(stored as { uscc: string; scheme_code: string; points: string; grade: string; supervision: string; exit_flagged: boolean; lines: unknown; removed_lines: unknown }[])[0];
      expect({ uscc, scheme: g.scheme_code, points: Number(g.points), grade: g.grade, supervision: g.supervision, exitFlagged: g.exit_flagged, lines: g.lines, removedLines: g.removed_lines }).toEqual({
        uscc, scheme: scheme.code, points: expected.points, grade: expected.grade, supervision: expected.supervision, exitFlagged: expected.exitFlagged,
        // lines are stored as JSON, which has no -0 (a deduction of 0 points)
        lines: JSON.parse(JSON.stringify(expected.lines)), removedLines: JSON.parse(JSON.stringify(expected.removedLines)),
      });
      const balance = mine(accounts as { uscc: string; balance: string }[])[0]?.balance ?? 0;
      expect([uscc, Number(balance)]).toEqual([uscc, Math.round(expected.points * 100)]);
      if (expected.removedLines.length && expected.lines.some((l) => l.category === 'MEMBER_PENALTY')) withEffects++;
      if (expected.lines.some((l) => l.capped)) capped++;
    }
    // the facts exercised what they were made for
    expect(withEffects).toBeGreaterThan(3);
    expect(capped).toBeGreaterThan(3);
    expect(new Set((stored as { grade: string }[]).map((g) => g.grade)).size).toBeGreaterThan(1);
    expect(await rt.ledger.checkInvariants(inst.dataSource.manager)).toEqual([]);
  });
});
