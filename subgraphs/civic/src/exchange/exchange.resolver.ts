import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { Ctx as Context } from '../runtime';
import { Redemption } from '../rewards/reward.type';
import { redemptionById } from './redemption.query';

@Resolver(() => Redemption)
export class ExchangeResolver {
  @Authorized('RESIDENT', 'MERCHANT')
  @Query(() => Redemption, { description: "a redemption and its status, for the card's holder and the caller who redeemed it" })
  redemption(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Redemption> {
    return redemptionById(ctx.rt, ctx.caller, id);
  }
}
