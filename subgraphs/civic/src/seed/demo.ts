import { demoPopulation, stableUuid } from '@citypoints/demo';
import type { DemoOptions } from '@citypoints/federation';
import { cityMonth, maskName } from '@citypoints/kit';
import { SCHEMA } from '../context';
import type { CivicRuntime } from '../runtime';
import { ensureCards, issueAccount, merchantAccount, passbookAccount } from '../cards/card.service';
import { PassbookKind } from '../cards/card.type';

const DEMO_ITEMS = Object.freeze(['HELP_NEIGHBOUR', 'VOLUNTEER_SERVICE', 'FILIAL_PIETY', 'QUEUE_ORDERLY', 'ELDERLY_CARE']);
const DEMO_SHELF = [
  { merchant: 'demo-love-supermarket-dongcheng', name: '东城爱心超市', town: '441900003', items: [['食用油 5L', 60, 40], ['大米 10kg', 50, 60], ['洗衣液', 20, 100]] },
  { merchant: 'demo-points-bank-humen', name: '虎门积分银行', town: '441900121', items: [['毛巾', 8, 200], ['保温杯', 35, 50]] },
] as const;

/**
 * The demo city's civic life, once per seed: the registry's demo residents in the projection
 * (as their events would bring them), a card each, approved records for every tenth resident
 * posted through the ledger, and two points supermarkets with stock.
 */
export async function seedCivicDemo(rt: CivicRuntime, o: DemoOptions): Promise<void> {
  const pop = demoPopulation(o.seed);
  await rt.ds.transaction(async (m) => {
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['civic-demo']);
    if ((await m.query(`SELECT 1 FROM "${SCHEMA}".demo_seeds WHERE seed = $1`, [o.seed])).length) {
      o.log?.(`civic: demo data of seed ${o.seed} already loaded`);
      return;
    }
    const now = rt.clock.now();
    await m.query(
      `INSERT INTO "${SCHEMA}".residents (id, division_code, household_id, name_masked)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`,
      [pop.residents.map((r) => r.id), pop.residents.map((r) => r.divisionCode), pop.residents.map((r) => r.householdId), pop.residents.map((r) => maskName(r.name))],
    );
    const active = pop.residents.filter((_, i) => i % 10 === 0);
    const cards = await ensureCards(rt, m, active.map((r) => r.id), now);
    let posted = 0;
    for (const [i, r] of active.entries()) {
      const card = cards.get(r.id);
      if (!card) continue;
      const code = DEMO_ITEMS[i % DEMO_ITEMS.length];
      const town = r.divisionCode.slice(0, 9);
      const item: { points: number }[] = await m.query(`SELECT points FROM "${SCHEMA}".behaviour_items WHERE scope = $1 AND code = $2`, [town, code]);
      if (!item.length) continue;
      const id = stableUuid(`civic-demo:${o.seed}:${r.id}`);
      await m.query(
        `INSERT INTO "${SCHEMA}".records (id, idempotency_key, resident_id, card_no, division_code, town_code, item_scope, item_code, item_version, passbook,
           points_requested, points_credited, breakdown, rules_version, status, occurred_on, registered_by, reviewed_by, publicised_by, approved_by,
           publicised_until, approved_at, approved_month, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, 1, 'CIVIC', $8, $8, $9::jsonb, 1, 'APPROVED', $10::date, 'demo-registrar', 'demo-reviewer', 'demo-publicity-clerk',
           'demo-town-reviewer', $11, $11, $12, $11)`,
        [id, `demo:${o.seed}:${r.id}`, r.id, card.card_no, r.divisionCode, town, code, item[0].points,
          JSON.stringify({ rulesVersion: 1, lines: [{ rule: 'ITEM_POINTS', detail: `item points ${item[0].points}`, points: item[0].points }] }), now.toISOString().slice(0, 10), now, cityMonth(now)],
      );
      await rt.ledger.post(m, {
        idempotencyKey: `civic:record:${id}`,
        kind: 'CIVIC_RECORD',
        metadata: { recordId: id, itemCode: code },
        entries: [
          { accountId: passbookAccount(PassbookKind.CIVIC, r.id), amount: item[0].points },
          { accountId: issueAccount(PassbookKind.CIVIC, r.id), amount: -item[0].points },
        ],
      });
      posted++;
    }
    for (const shelf of DEMO_SHELF) {
      await m.query(
        `INSERT INTO "${SCHEMA}".merchants (merchant_id, town_code, name, registered_by, registered_at) VALUES ($1, $2, $3, 'demo', $4) ON CONFLICT DO NOTHING`,
        [shelf.merchant, shelf.town, shelf.name, now],
      );
      await rt.ledger.openAccount(m, { id: merchantAccount(shelf.merchant), ownerId: shelf.merchant, kind: 'MERCHANT' });
      for (const [name, cost, stock] of shelf.items) {
        await m.query(`INSERT INTO "${SCHEMA}".reward_items (id, merchant_id, name, points_cost, stock, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, [
          stableUuid(`civic-demo-reward:${o.seed}:${shelf.merchant}:${name}`), shelf.merchant, name, cost, stock, now,
        ]);
      }
    }
    await m.query(`INSERT INTO "${SCHEMA}".demo_seeds (seed) VALUES ($1)`, [o.seed]);
    o.log?.(`civic: demo data loaded (${cards.size} cards, ${posted} approved records)`);
  });
}
