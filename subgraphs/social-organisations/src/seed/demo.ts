import { demoPopulation } from '@citypoints/demo';
import { seededRandom } from '@citypoints/kit';
import type { DemoOptions } from '@citypoints/federation';
import { cityYear, SCHEMA, type SocialOrganisationsRuntime } from '../runtime';
import { decideRewards, regrade } from '../grading/grading.service';
import { schemeForYear } from '../scheme/scheme.service';

/**
 * The demo organisations of the seed (the ones registry loads) with a year of indicator records
 * and a few violations, graded and ranked, once per seed.
 */
export async function seedSocialOrganisationsDemo(rt: SocialOrganisationsRuntime, o: DemoOptions): Promise<void> {
  const pop = demoPopulation(o.seed);
  const rnd = seededRandom(o.seed ^ 0x5043);
  const year = cityYear(rt.clock) - 1;
  await rt.ds.transaction(async (m) => {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['social-organisations-demo']);
    const done = await m.query(`SELECT 1 FROM "${SCHEMA}".demo_seeds WHERE seed = $1`, [o.seed]);
    if (done.length) {
      o.log?.(`social-organisations: demo data of seed ${o.seed} already loaded`);
      return;
    }
    const { definition } = await schemeForYear(m, year);
    for (const g of pop.organisations) {
      await m.query(
        `INSERT INTO "${SCHEMA}".organisations (uscc, name, kind, division_code) VALUES ($1, $2, $3, $4)
         ON CONFLICT (uscc) DO UPDATE SET name = EXCLUDED.name, division_code = EXCLUDED.division_code`,
        [g.uscc, g.name, g.kind, g.divisionCode],
      );
      for (const member of g.members) {
        await m.query(`INSERT INTO "${SCHEMA}".memberships (organisation_uscc, enterprise_uscc) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [g.uscc, member]);
      }
      for (const c of definition.categories) {
        const points = Math.round(c.cap * (0.4 + rnd() * 0.7));
        if (points <= 0) continue;
        await m.query(
          `INSERT INTO "${SCHEMA}".indicator_records (uscc, year, category, points, evidence, idempotency_key, entered_by)
           VALUES ($1, $2, $3, $4, 'demo', $5, 'demo') ON CONFLICT (entered_by, idempotency_key) DO NOTHING`,
          [g.uscc, year, c.code, points, `demo:${o.seed}:${g.uscc}:${year}:${c.code}`],
        );
      }
      if (rnd() < 0.25) {
        const { minSeverity, maxSeverity } = definition.violation;
        await m.query(
          `INSERT INTO "${SCHEMA}".violations (uscc, year, severity, note, idempotency_key, entered_by)
           VALUES ($1, $2, $3, 'demo: late annual report', $4, 'demo') ON CONFLICT (entered_by, idempotency_key) DO NOTHING`,
          [g.uscc, year, minSeverity + Math.floor(rnd() * (maxSeverity - minSeverity + 1)), `demo:${o.seed}:${g.uscc}:${year}:violation`],
        );
      }
      await regrade(rt, m, g.uscc, year, `demo:${o.seed}`);
    }
    await decideRewards(rt, m, year);
    await m.query(`INSERT INTO "${SCHEMA}".demo_seeds (seed) VALUES ($1)`, [o.seed]);
    o.log?.(`social-organisations: demo gradings of ${year} loaded for ${pop.organisations.length} organisations`);
  });
}
