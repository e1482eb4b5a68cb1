import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { Ctx as Context } from '../runtime';
import { BehaviourItem, DefineBehaviourItemInput } from './item.type';
import { defineItem, listItems, setPublicityWindow } from './item.service';

@Resolver(() => BehaviourItem)
export class BehaviourItemResolver {
  @Authorized()
  @Query(() => [BehaviourItem], { description: "a town's list (with the city-wide items it did not redefine); without a division, the city-wide items" })
  behaviourItems(@Arg('divisionCode', () => ID, { nullable: true }) divisionCode: string | null, @Ctx() ctx: Context): Promise<BehaviourItem[]> {
    return listItems(ctx.rt, divisionCode);
  }

  @Authorized('TOWN_OFFICIAL')
  @Mutation(() => BehaviourItem)
  defineBehaviourItem(@Arg('input') input: DefineBehaviourItemInput, @Ctx() ctx: Context): Promise<BehaviourItem> {
    return defineItem(ctx.rt, ctx.caller!, input);
  }

  @Authorized('TOWN_OFFICIAL')
  @Mutation(() => Int, { description: 'days, 0..15, per town' })
  setPublicityWindow(@Arg('divisionCode', () => ID) divisionCode: string, @Arg('days', () => Int) days: number, @Ctx() ctx: Context): Promise<number> {
    return setPublicityWindow(ctx.rt, ctx.caller!, divisionCode, days);
  }
}
