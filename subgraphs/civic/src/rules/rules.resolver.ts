import { Arg, Authorized, Ctx, Field, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { DateScalar } from '@citypoints/federation';
import type { Ctx as Context } from '../runtime';
import { currentRules, publishRules, rulesHistory, type VersionedRules } from './rules.service';

@ObjectType()
export class CivicRuleSet {
  @Field(() => Int) version: number;
  @Field(() => DateScalar) effectiveFrom: string;
  @Field(() => GraphQLJSON, { description: 'categories and their point ranges, the publicity window, stars per town, privilege thresholds, green prices' }) definition: unknown;
}

const toRuleSet = (v: VersionedRules) => Object.assign(new CivicRuleSet(), { version: v.version, effectiveFrom: v.effectiveFrom, definition: v.rules });

@Resolver()
export class RulesResolver {
  @Authorized()
  @Query(() => CivicRuleSet, { description: 'the civic rule set in force today' })
  async civicRules(@Ctx() ctx: Context): Promise<CivicRuleSet> {
    return toRuleSet(await currentRules(ctx.rt.ds.manager, ctx.rt.clock));
  }

  @Authorized()
  @Query(() => [CivicRuleSet], { description: 'every published version of the civic rules, newest effective first' })
  async civicRuleHistory(@Ctx() ctx: Context): Promise<CivicRuleSet[]> {
    return (await rulesHistory(ctx.rt.ds.manager)).map(toRuleSet);
  }

  @Authorized('CITY_ADMIN')
  @Mutation(() => CivicRuleSet, { description: 'publishes a new version of the civic rules; earlier versions keep explaining earlier results' })
  async publishCivicRules(@Arg('definition', () => GraphQLJSON) definition: unknown, @Arg('effectiveFrom', () => DateScalar) effectiveFrom: string, @Ctx() ctx: Context): Promise<CivicRuleSet> {
    return toRuleSet(await ctx.rt.ds.transaction((m) => publishRules(m, definition, effectiveFrom, ctx.caller!.sub, ctx.rt.clock)));
  }
}
