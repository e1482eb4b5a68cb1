import { Arg, Authorized, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireRole } from '@citypoints/auth';
import { ResidentRef } from '../residents/resident.ref';
import { TalentCard, TalentCategory, TalentQuota } from './talent.type';
import { issueTalentCard, setTalentCardQuota, talentQuota } from './talent.service';
import { Ctx } from '../runtime';

@Resolver(() => TalentCard)
export class TalentCardResolver {
  @FieldResolver(() => ResidentRef)
  holder(@Root() c: TalentCard): ResidentRef {
    return { id: c.holderId };
  }

  @Authorized('CITY_ADMIN', 'HUKOU_OFFICER', 'DEPARTMENT_ANALYST')
  @Query(() => TalentQuota, { nullable: true, description: 'a year’s quota, its shares by category and the cards issued in each' })
  talentCardQuota(@Arg('year', () => Int) year: number, @Ctx() ctx: Ctx): Promise<TalentQuota | null> {
    return talentQuota(ctx.rt, year);
  }

  @Authorized('CITY_ADMIN')
  @Mutation(() => Int)
  setTalentCardQuota(@Arg('year', () => Int) year: number, @Arg('total', () => Int) total: number, @Ctx() ctx: Ctx): Promise<number> {
    return setTalentCardQuota(ctx.rt, requireRole(ctx.caller, 'CITY_ADMIN'), year, total);
  }

  @Authorized('CITY_ADMIN', 'HUKOU_OFFICER')
  @Mutation(() => TalentCard)
  issueTalentCard(
    @Arg('residentId', () => ID) residentId: string,
    @Arg('category', () => TalentCategory) category: TalentCategory,
    @Arg('year', () => Int) year: number,
    @Ctx() ctx: Ctx,
  ): Promise<TalentCard> {
    return issueTalentCard(ctx.rt, ctx.caller, residentId, category, year);
  }
}
