import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { SubgraphContext } from '@citypoints/federation';
import { Redemption, RedeemInput, RewardItem } from './reward.type';
import { defineReward, listRewards, redeem } from './reward.service';

@Resolver(() => RewardItem)
export class RewardResolver {
  @Authorized()
  @Query(() => [RewardItem])
  rewardItems(@Arg('merchantId', () => ID, { nullable: true }) merchantId: string | null): Promise<RewardItem[]> {
    return listRewards(merchantId);
  }

  @Authorized('MERCHANT', 'TOWN_OFFICIAL')
  @Mutation(() => RewardItem)
  defineRewardItem(
    @Arg('name') name: string,
    @Arg('pointsCost', () => Int) pointsCost: number,
    @Arg('stock', () => Int) stock: number,
    @Arg('merchantId', () => ID) merchantId: string,
    @Ctx() ctx: SubgraphContext,
  ): Promise<RewardItem> {
    return defineReward(ctx.caller, name, pointsCost, stock, merchantId);
  }

  @Authorized('RESIDENT', 'MERCHANT')
  @Mutation(() => Redemption)
  redeem(@Arg('input') input: RedeemInput, @Ctx() ctx: SubgraphContext): Promise<Redemption> {
    return redeem(ctx.caller, input);
  }
}
