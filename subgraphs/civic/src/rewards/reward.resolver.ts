import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { Ctx as Context } from '../runtime';
import { PointsKind } from '../exchange/exchange.type';
import { Merchant, Redemption, RedeemInput, RedemptionCode, RewardItem } from './reward.type';
import { defineReward, listRewards, redeem, registerMerchant } from './reward.service';
import { issueRedemptionCode } from './redemption-code.service';

@Resolver(() => RewardItem)
export class RewardResolver {
  @Authorized()
  @Query(() => [RewardItem])
  rewardItems(@Arg('merchantId', () => ID, { nullable: true }) merchantId: string | null, @Ctx() ctx: Context): Promise<RewardItem[]> {
    return listRewards(ctx.rt, merchantId);
  }

  @Authorized('MERCHANT', 'TOWN_OFFICIAL')
  @Mutation(() => RewardItem)
  defineRewardItem(
    @Arg('name') name: string,
    @Arg('pointsCost', () => Int) pointsCost: number,
    @Arg('stock', () => Int) stock: number,
    @Arg('merchantId', () => ID) merchantId: string,
    @Arg('pointsKind', () => PointsKind, { defaultValue: PointsKind.CIVIC }) pointsKind: PointsKind,
    @Ctx() ctx: Context,
  ): Promise<RewardItem> {
    return defineReward(ctx.rt, ctx.caller, name, pointsCost, stock, merchantId, pointsKind);
  }

  @Authorized('RESIDENT', 'MERCHANT')
  @Mutation(() => Redemption, {
    description:
      'VOLUNTEER items: waits (a few seconds at most) for the volunteer points and answers COMPLETED, or the error INSUFFICIENT_POINTS (details.redemptionId; the redemption FAILED, nothing taken); PENDING only when no decision came in time — then see redemption(id)',
  })
  redeem(@Arg('input') input: RedeemInput, @Ctx() ctx: Context): Promise<Redemption> {
    return redeem(ctx.rt, ctx.caller, input);
  }

  @Authorized('RESIDENT')
  @Mutation(() => RedemptionCode, { description: 'a one-time code for the caller\'s own card: one redemption by a merchant, within 10 minutes' })
  issueRedemptionCode(@Ctx() ctx: Context): Promise<RedemptionCode> {
    return issueRedemptionCode(ctx.rt, ctx.caller);
  }

  @Authorized('TOWN_OFFICIAL')
  @Mutation(() => Merchant, { description: 'registers a points supermarket with a town, whose officials may then stock it' })
  registerMerchant(
    @Arg('merchantId', () => ID) merchantId: string,
    @Arg('townCode', () => ID) townCode: string,
    @Arg('name') name: string,
    @Ctx() ctx: Context,
  ): Promise<Merchant> {
    return registerMerchant(ctx.rt, ctx.caller, merchantId, townCode, name);
  }
}
