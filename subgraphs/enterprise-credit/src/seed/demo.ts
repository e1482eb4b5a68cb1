import { demoPopulation } from '@citypoints/demo';
import type { DemoOptions } from '@citypoints/federation';
import { addMonths, cityDate, cityMonth, intBetween, seededRandom } from '@citypoints/kit';
import { SCHEMA, type EnterpriseCreditRuntime } from '../runtime';
import { creditSchemeOn, kindRule, type CreditKind } from '../credit/credit.scheme';
import { publicUntilOf, repairableFromOf } from '../credit/credit.rules';
import { recomputeStatuses } from '../credit/credit.status';
import { mergeIndicators } from '../labour/labour.service';
import { startScoringRun } from '../labour/labour.scoring';

const DEPARTMENT: Record<CreditKind, string> = {
  PENALTY: 'MARKET_REGULATION',
  SEVERE_PENALTY: 'EMERGENCY_MANAGEMENT',
  DISHONEST_DEBTOR: 'COURT',
  WAGE_ARREARS_BLACKLIST: 'HUMAN_RESOURCES',
  A_TAXPAYER: 'TAXATION',
  HONOUR: 'INDUSTRY_INFORMATION',
};

/**
 * The demo city's credit: the demo enterprises' projection, a few records of every kind, this
 * month's labour indicators (mostly calm, some troubled) and a scoring run for the workers.
 */
export async function seedEnterpriseCreditDemo(rt: EnterpriseCreditRuntime, o: DemoOptions): Promise<void> {
  const { ds, clock } = rt;
  const pop = demoPopulation(o.seed);
  const rnd = seededRandom(o.seed ^ 0x5ec7ed17);
  const at = clock.now();
  const today = cityDate(at);
  const month = cityMonth(at);
  const loaded = await ds.transaction(async (m) => {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['enterprise-credit-demo']);
    if ((await m.query(`SELECT 1 FROM "${SCHEMA}".demo_seeds WHERE seed = $1`, [o.seed])).length) return false;
    const e = pop.enterprises;
    await m.query(
      `INSERT INTO "${SCHEMA}".enterprises (uscc, name, division_code) SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING`,
      [e.map((x) => x.uscc), e.map((x) => x.name), e.map((x) => x.divisionCode)],
    );
    const scheme = await creditSchemeOn(m, today);
    const kinds: CreditKind[] = ['A_TAXPAYER', 'HONOUR', 'PENALTY', 'PENALTY', 'SEVERE_PENALTY', 'WAGE_ARREARS_BLACKLIST', 'DISHONEST_DEBTOR'];
    for (let i = 0; i < e.length; i += 7) {
      const kind = kinds[(i / 7) % kinds.length];
      const occurredOn = addMonths(today, -intBetween(rnd, 1, 8));
      const rule = kindRule(scheme, kind);
      const area = rule.areaMinMonths ? 'GENERAL' : null;
      const publicUntil = publicUntilOf(rule, occurredOn, null, area);
      await m.query(
        `INSERT INTO "${SCHEMA}".credit_records (uscc, kind, area, repairable_from, department, occurred_on, public_until, note, scheme_version, idempotency_key, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'demo record', $8, $9, 'demo') ON CONFLICT DO NOTHING`,
        [e[i].uscc, kind, area, repairableFromOf(rule, occurredOn, area), DEPARTMENT[kind], occurredOn, publicUntil, scheme.version, `demo:${o.seed}:${i}`],
      );
    }
    for (const x of e) {
      const troubled = rnd() < 0.1;
      await m.query(
        `INSERT INTO "${SCHEMA}".labour_reports (uscc, period, source, department, wage_arrears_days, workers_owed, arrears_amount, pay_cycle_days,
           rent_arrears_months, electricity_ratio, social_insurance_arrears_months, tax_arrears_months, petitions, group_incident, reported_at)
         VALUES ($1, $2, 'demo-feed', 'HUMAN_RESOURCES', $3, $4, $5, $6, $7, $8, $9, $10, $11, false, $12) ON CONFLICT DO NOTHING`,
        [
          x.uscc, month,
          troubled ? intBetween(rnd, 1, 90) : 0,
          troubled ? intBetween(rnd, 5, 80) : 0,
          troubled ? intBetween(rnd, 10_000, 900_000) : 0,
          troubled ? intBetween(rnd, 30, 45) : 30,
          troubled ? intBetween(rnd, 0, 3) : 0,
          troubled ? 0.2 + rnd() * 0.6 : 0.8 + rnd() * 0.4,
          troubled ? intBetween(rnd, 0, 3) : 0,
          troubled ? intBetween(rnd, 0, 2) : 0,
          troubled ? intBetween(rnd, 0, 6) : 0,
          at,
        ],
      );
    }
    await mergeIndicators(m, null, month);
    await recomputeStatuses(rt, m, e.map((x) => x.uscc), at, scheme);
    await m.query(`INSERT INTO "${SCHEMA}".demo_seeds (seed) VALUES ($1)`, [o.seed]);
    return true;
  });
  if (!loaded) {
    o.log?.(`enterprise-credit: demo data of seed ${o.seed} already loaded`);
    return;
  }
  await startScoringRun(rt, month, `demo:${o.seed}:${month}`);
  o.log?.(`enterprise-credit: demo data loaded (${pop.enterprises.length} enterprises' credit and ${month} labour indicators; scoring queued)`);
}
