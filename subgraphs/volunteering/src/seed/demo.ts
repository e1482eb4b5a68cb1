import { demoPopulation, stableUuid } from '@citypoints/demo';
import type { DemoOptions } from '@citypoints/federation';
import { HOUR, seededRandom } from '@citypoints/kit';
import { SCHEMA, type VolunteeringRuntime } from '../runtime';
import { ensurePointsAccount, ISSUE_ACCOUNT } from '../points/points.service';
import { serviceAward } from '../scheme/scheme.rules';
import { schemeAt } from '../scheme/scheme.service';

const CATEGORIES = ['RELIEF', 'MUTUAL_AID', 'ENVIRONMENT', 'PROFESSIONAL', 'COMPREHENSIVE'] as const;
const TITLES: Record<(typeof CATEGORIES)[number], string[]> = {
  RELIEF: ['独居老人送餐', '困难家庭探访'],
  MUTUAL_AID: ['接送孩子放学', '陪同老人就医'],
  ENVIRONMENT: ['社区垃圾分类宣传', '河涌清洁'],
  PROFESSIONAL: ['义务法律咨询', '家电维修'],
  COMPREHENSIVE: ['社区活动协助', '文明交通劝导'],
};

/**
 * Loads the demo time bank once per seed, from the same population registry loads: the resident
 * projection (so needs can be posted before registry's events arrive), one volunteer in ten with
 * a history of confirmed services paid through the ledger, and open needs in the coming week.
 */
export async function seedVolunteeringDemo(rt: VolunteeringRuntime, o: DemoOptions): Promise<void> {
  const pop = demoPopulation(o.seed);
  const rnd = seededRandom(o.seed + 7);
  const now = rt.clock.now();
  await rt.ds.transaction(async (m) => {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['volunteering-demo']);
    if ((await m.query(`SELECT 1 FROM "${SCHEMA}".demo_seeds WHERE seed = $1`, [o.seed])).length) {
      o.log?.(`volunteering: demo data of seed ${o.seed} already loaded`);
      return;
    }
    const rs = pop.residents;
    await m.query(
      `INSERT INTO "${SCHEMA}".residents (id, division_code, household_id)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) ON CONFLICT (id) DO NOTHING`,
      [rs.map((r) => r.id), rs.map((r) => r.divisionCode), rs.map((r) => r.householdId)],
    );
    const volunteers = rs.filter((_, i) => i % 10 === 3);
    await m.query(
      `INSERT INTO "${SCHEMA}".volunteers (resident_id, skills, registered_at) SELECT id, '{}', $2 FROM unnest($1::uuid[]) AS id ON CONFLICT DO NOTHING`,
      [volunteers.map((v) => v.id), now],
    );
    const scheme = await schemeAt(m, now);
    let services = 0;
    let needs = 0;
    for (let i = 0; i < volunteers.length; i++) {
      const v = volunteers[i];
      const requester = rs[(i * 7 + 1) % rs.length];
      if (requester.id === v.id) continue;
      const category = CATEGORIES[i % CATEGORIES.length];
      const title = TITLES[category][i % 2];
      if (i % 3 !== 2) {
        const hours = 1 + Math.floor(rnd() * 16) / 2;
        const at = new Date(now.getTime() - (10 + i) * 24 * HOUR);
        const id = stableUuid(`demo-need:${o.seed}:${i}`);
        await m.query(
          `INSERT INTO "${SCHEMA}".needs (id, requester_id, idempotency_key, category, title, division_code, window_start, window_end, status, primary_id, hours, rating, confirmed_by, escrow_points, created_at, started_at, completed_at, closed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'CONFIRMED', $9, $10, $11, 'REQUESTER', 0, $7, $7, $8, $8)`,
          [id, requester.id, `demo-${i}`, category, title, requester.divisionCode, at, new Date(at.getTime() + hours * HOUR), v.id, hours, 3 + (i % 3)],
        );
        const award = serviceAward(scheme, hours, 0);
        await m.query(
          `INSERT INTO "${SCHEMA}".service_hours (resident_id, source, need_id, idempotency_key, reported_hours, credited_hours, points, scheme_code, scheme_version, breakdown, entered_by, at)
           VALUES ($1, 'SERVICE', $2, $3, $4, $5, $6, $7, $8, $9::jsonb, 'demo', $10)`,
          [v.id, id, `need:${id}`, award.reportedHours, award.creditedHours, award.points, award.schemeCode, award.schemeVersion, JSON.stringify(award.lines), at],
        );
        const account = await ensurePointsAccount(rt, m, v.id);
        await rt.ledger.post(m, {
          idempotencyKey: `need:${id}:award`,
          kind: 'SERVICE_AWARD',
          metadata: { needId: id, schemeVersion: award.schemeVersion },
          entries: [
            { accountId: account, amount: award.points },
            { accountId: ISSUE_ACCOUNT, amount: -award.points },
          ],
        });
        services++;
      } else {
        const start = new Date(now.getTime() + (1 + (i % 7)) * 24 * HOUR);
        await m.query(
          `INSERT INTO "${SCHEMA}".needs (id, requester_id, idempotency_key, category, title, division_code, window_start, window_end, status, escrow_points, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'OPEN', 0, $9)`,
          [stableUuid(`demo-need:${o.seed}:${i}`), requester.id, `demo-${i}`, category, title, requester.divisionCode, start, new Date(start.getTime() + 3 * HOUR), now],
        );
        needs++;
      }
    }
    await m.query(`INSERT INTO "${SCHEMA}".demo_seeds (seed) VALUES ($1)`, [o.seed]);
    o.log?.(`volunteering: demo data loaded (${volunteers.length} volunteers, ${services} confirmed services, ${needs} open needs)`);
  });
}
