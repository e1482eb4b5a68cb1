import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { Ctx as Context } from '../runtime';
import { Redemption, RedeemInput, RewardItem } from './reward.type';
import { defineReward, listRewards, redeem } from './reward.service';

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
    @Ctx() ctx: Context,
  ): Promise<RewardItem> {
    return defineReward(ctx.rt, ctx.caller, name, pointsCost, stock, merchantId);
  }

  @Authorized('RESIDENT', 'MERCHANT')
  @Mutation(() => Redemption)
  redeem(@Arg('input') input: RedeemInput, @Ctx() ctx: Context): Promise<Redemption> {
    return redeem(ctx.rt, ctx.caller, input);
  }
}
