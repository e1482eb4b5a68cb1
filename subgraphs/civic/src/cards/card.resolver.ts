import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireRole, requireRoleIn } from '@citypoints/auth';
import { notFound } from '@citypoints/kit';
import { loader } from '@citypoints/federation';
import { SCHEMA } from '../context';
import type { Ctx as Context } from '../runtime';
import { projectedResident } from '../residents/projection';
import { ResidentRef } from '../residents/resident.type';
import { CivicRecordConnection } from '../records/record.type';
import { recordsOfResident } from '../records/record.service';
import { currentRules, privilegesFor, type VersionedRules } from '../rules/rules.service';
import { ensureCards, findCard, openPassbook, requireCard } from './card.service';
import { CivicCard, PassbookKind } from './card.type';

const rulesOfRequest = (ctx: Context) => loader<string, VersionedRules>(ctx, 'civicRules', async (keys) => {
  const rules = await currentRules(ctx.rt.ds.manager, ctx.rt.clock);
  return keys.map(() => rules);
});

@Resolver(() => CivicCard)
export class CivicCardResolver {
  @Authorized()
  @Query(() => CivicCard, { nullable: true, description: 'issued on first use to a registered resident' })
  civicCard(@Arg('residentId', () => ID) residentId: string, @Ctx() ctx: Context): Promise<CivicCard> {
    return requireCard(ctx, residentId);
  }

  @Authorized('RESIDENT')
  @Query(() => CivicCard, { nullable: true })
  myCivicCard(@Ctx() ctx: Context): Promise<CivicCard> {
    return requireCard(ctx, ctx.caller!.sub);
  }

  @FieldResolver(() => CivicRecordConnection)
  records(
    @Root() card: CivicCard,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ) {
    return recordsOfResident(ctx.rt, ctx.caller, card, first, after);
  }

  @FieldResolver(() => [String], { description: 'flags earned by crossing the city-set balance thresholds' })
  async privileges(@Root() card: CivicCard, @Ctx() ctx: Context): Promise<string[]> {
    const { rules } = await rulesOfRequest(ctx).load('current');
    return privilegesFor(rules, card.balance);
  }

  @Authorized('TOWN_OFFICIAL', 'VILLAGE_REGISTRAR')
  @Mutation(() => CivicCard, { description: 'opens the red passbook of a party member' })
  async enrolRedPassbook(@Arg('residentId', () => ID) residentId: string, @Ctx() ctx: Context): Promise<CivicCard> {
    const caller = requireRole(ctx.caller, 'TOWN_OFFICIAL', 'VILLAGE_REGISTRAR');
    const rt = ctx.rt;
    await rt.ds.transaction(async (m) => {
      const resident = await projectedResident(m, residentId);
      if (!resident) throw notFound('resident', residentId);
      requireRoleIn(caller, resident.division_code, 'TOWN_OFFICIAL', 'VILLAGE_REGISTRAR');
      await ensureCards(rt, m, [residentId], rt.clock.now());
      await m.query(`INSERT INTO "${SCHEMA}".party_members (resident_id, recorded_by, recorded_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [residentId, caller.sub, rt.clock.now()]);
      await openPassbook(rt, m, PassbookKind.RED, residentId);
    });
    return requireCard(ctx, residentId);
  }
}

@Resolver(() => ResidentRef)
export class ResidentCivicResolver {
  @FieldResolver(() => CivicCard, { nullable: true })
  civicCard(@Root() r: ResidentRef, @Ctx() ctx: Context): Promise<CivicCard | null> {
    return findCard(ctx, r.id);
  }
}

export const residentReference = {
  __resolveReference: (ref: { id: string }) => Object.assign(new ResidentRef(), { id: ref.id }),
};
