import { Arg, Authorized, Ctx, Field, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { DateScalar, type SubgraphContext } from '@citypoints/federation';
import { clock, db } from '../context';
import { currentRules, publishRules, type VersionedRules } from './rules.service';

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
  async civicRules(): Promise<CivicRuleSet> {
    return toRuleSet(await currentRules(db().manager, clock()));
  }

  @Authorized('CITY_ADMIN')
  @Mutation(() => CivicRuleSet, { description: 'publishes a new version of the civic rules; earlier versions keep explaining earlier results' })
  async publishCivicRules(@Arg('definition', () => GraphQLJSON) definition: unknown, @Arg('effectiveFrom', () => DateScalar) effectiveFrom: string, @Ctx() ctx: SubgraphContext): Promise<CivicRuleSet> {
    return toRuleSet(await db().transaction((m) => publishRules(m, definition, effectiveFrom, ctx.caller!.sub)));
  }
}
