import { Arg, Authorized, Ctx, ID, Int, Mutation, Resolver } from 'type-graphql';
import { requireRole, requireRoleIn } from '@citypoints/auth';
import { badInput, conflict, isPeriod, notFound, ownValue } from '@citypoints/kit';
import { SCHEMA } from '../context';
import type { CivicRuntime, Ctx as Context } from '../runtime';
import { ensureCards, issueAccount, passbookAccount } from '../cards/card.service';
import { Passbook, PassbookKind } from '../cards/card.type';
import { projectedResident } from '../residents/projection';
import { currentRules } from '../rules/rules.service';
import { recyclablePoints } from './green.rules';
import { lockCallerKey, validKey } from '../idempotency';

async function greenPassbook(rt: CivicRuntime, residentId: string): Promise<Passbook> {
  const a = await rt.ledger.account(rt.ds.manager, passbookAccount(PassbookKind.GREEN, residentId));
  return Object.assign(new Passbook(), { kind: PassbookKind.GREEN, balance: a?.balance ?? 0, lifetimeEarned: a?.lifetimeEarned ?? 0, lifetimeSpent: a?.lifetimeSpent ?? 0 });
}

@Resolver()
export class GreenResolver {
  @Authorized('VILLAGE_REGISTRAR')
  @Mutation(() => Passbook, { description: 'credits recyclables handed in at the collection point: weight × market price, into the green passbook' })
  async creditRecyclables(
    @Arg('residentId', () => ID) residentId: string,
    @Arg('material') material: string,
    @Arg('grams', () => Int) grams: number,
    @Arg('idempotencyKey') idempotencyKey: string,
    @Ctx() ctx: Context,
  ): Promise<Passbook> {
    const rt = ctx.rt;
    const caller = requireRole(ctx.caller, 'VILLAGE_REGISTRAR');
    const key = validKey(idempotencyKey);
    if (!Number.isInteger(grams) || grams < 1 || grams > 10_000_000) throw badInput('grams must be a whole number from 1 to 10000000', { field: 'grams' });
    await rt.ds.transaction(async (m) => {
      const resident = await projectedResident(m, residentId);
      if (!resident) throw notFound('resident', residentId);
      // a replay is authorised like a first request, before the key finds anything
      requireRoleIn(caller, resident.division_code, 'VILLAGE_REGISTRAR');
      await lockCallerKey(m, 'green', caller.sub, key);
      const existing: { resident_id: string; material: string; grams: number }[] = await m.query(
        `SELECT resident_id, material, grams FROM "${SCHEMA}".green_collections WHERE recorded_by = $1 AND idempotency_key = $2`,
        [caller.sub, key],
      );
      if (existing.length) {
        if (existing[0].resident_id !== resident.id || existing[0].material !== material || existing[0].grams !== grams) throw conflict('idempotencyKey was already used for another collection', { field: 'idempotencyKey' });
        return;
      }
      const { version, rules } = await currentRules(m, rt.clock);
      // own keys only: a material named after an Object.prototype member (constructor, toString …) has no price
      const price = ownValue(rules.green.pricePerKg, material);
      if (price === undefined) throw badInput(`material must be one of ${Object.keys(rules.green.pricePerKg).join(', ')}`, { field: 'material' });
      const points = recyclablePoints(grams, price);
      if (points < 1) throw badInput('too little to earn a whole point', { field: 'grams' });
      await ensureCards(rt, m, [residentId], rt.clock.now());
      const [collection]: { id: string }[] = await m.query(
        `INSERT INTO "${SCHEMA}".green_collections (idempotency_key, resident_id, material, grams, price_per_kg, points, rules_version, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
        [key, residentId, material, grams, price, points, version, caller.sub, rt.clock.now()],
      );
      await rt.ledger.post(m, {
        idempotencyKey: `civic:green-collection:${collection.id}`,
        kind: 'GREEN_COLLECTION',
        metadata: { material, grams, pricePerKg: price, rulesVersion: version },
        entries: [
          { accountId: passbookAccount(PassbookKind.GREEN, residentId), amount: points },
          { accountId: issueAccount(PassbookKind.GREEN, residentId), amount: -points },
        ],
      });
    });
    return greenPassbook(ctx.rt, residentId);
  }

  @Authorized('VILLAGE_REVIEWER', 'TOWN_OFFICIAL')
  @Mutation(() => Passbook, { description: "the month's inspection of a household's waste sorting: 0 to the rules' maximum, once a month" })
  async recordSortingInspection(
    @Arg('residentId', () => ID) residentId: string,
    @Arg('month') month: string,
    @Arg('score', () => Int) score: number,
    @Ctx() ctx: Context,
  ): Promise<Passbook> {
    const rt = ctx.rt;
    const caller = requireRole(ctx.caller, 'VILLAGE_REVIEWER', 'TOWN_OFFICIAL');
    if (!isPeriod(month)) throw badInput('month must be YYYY-MM', { field: 'month' });
    await rt.ds.transaction(async (m) => {
      const resident = await projectedResident(m, residentId);
      if (!resident) throw notFound('resident', residentId);
      requireRoleIn(caller, resident.division_code, 'VILLAGE_REVIEWER', 'TOWN_OFFICIAL');
      const { rules } = await currentRules(m, rt.clock);
      if (!Number.isInteger(score) || score < 0 || score > rules.green.inspectionMax) throw badInput(`score must be from 0 to ${rules.green.inspectionMax}`, { field: 'score' });
      await ensureCards(rt, m, [residentId], rt.clock.now());
      const inserted: unknown[] = await m.query(
        `INSERT INTO "${SCHEMA}".green_inspections (resident_id, month, score, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING RETURNING month`,
        [residentId, month, score, caller.sub, rt.clock.now()],
      );
      if (!inserted.length) {
        const prior: { score: number }[] = await m.query(`SELECT score FROM "${SCHEMA}".green_inspections WHERE resident_id = $1 AND month = $2`, [residentId, month]);
        if (prior[0].score !== score) throw conflict(`the inspection of ${month} is recorded already`, { month });
        return;
      }
      if (score > 0) {
        await rt.ledger.post(m, {
          idempotencyKey: `civic:green-inspection:${residentId}:${month}`,
          kind: 'GREEN_INSPECTION',
          metadata: { month, score },
          entries: [
            { accountId: passbookAccount(PassbookKind.GREEN, residentId), amount: score },
            { accountId: issueAccount(PassbookKind.GREEN, residentId), amount: -score },
          ],
        });
      }
    });
    return greenPassbook(ctx.rt, residentId);
  }
}
