import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { SubgraphContext } from '@citypoints/federation';
import { BehaviourItem, DefineBehaviourItemInput } from './item.type';
import { defineItem, listItems, setPublicityWindow } from './item.service';

@Resolver(() => BehaviourItem)
export class BehaviourItemResolver {
  @Authorized()
  @Query(() => [BehaviourItem], { description: "a town's list (with the city-wide items it did not redefine); without a division, the city-wide items" })
  behaviourItems(@Arg('divisionCode', () => ID, { nullable: true }) divisionCode: string | null): Promise<BehaviourItem[]> {
    return listItems(divisionCode);
  }

  @Authorized('TOWN_OFFICIAL')
  @Mutation(() => BehaviourItem)
  defineBehaviourItem(@Arg('input') input: DefineBehaviourItemInput, @Ctx() ctx: SubgraphContext): Promise<BehaviourItem> {
    return defineItem(ctx.caller!, input);
  }

  @Authorized('TOWN_OFFICIAL')
  @Mutation(() => Int, { description: 'days, 0..15, per town' })
  setPublicityWindow(@Arg('divisionCode', () => ID) divisionCode: string, @Arg('days', () => Int) days: number, @Ctx() ctx: SubgraphContext): Promise<number> {
    return setPublicityWindow(ctx.caller!, divisionCode, days);
  }
}
