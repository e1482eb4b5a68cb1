import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { requireRole } from '@citypoints/auth';
import type { Ctx as Context } from '../runtime';
import { VolunteerScheme, VolunteerSchemeRulesInput } from './scheme.type';
import { publishScheme, schemeAt, schemeHistory, toSchemeType } from './scheme.service';

@Resolver(() => VolunteerScheme)
export class SchemeResolver {
  @Authorized()
  @Query(() => VolunteerScheme, { description: 'the time-bank rules in force at a time (now unless given)' })
  async volunteerScheme(@Ctx() ctx: Context, @Arg('at', () => Date, { nullable: true }) at?: Date): Promise<VolunteerScheme> {
    return toSchemeType(await schemeAt(ctx.rt.ds, at ?? ctx.rt.clock.now()));
  }

  @Authorized()
  @Query(() => [VolunteerScheme], { description: 'every version of the time-bank rules, newest effective first' })
  async volunteerSchemes(@Ctx() ctx: Context): Promise<VolunteerScheme[]> {
    return (await schemeHistory(ctx.rt)).map(toSchemeType);
  }

  @Authorized('CITY_ADMIN')
  @Mutation(() => VolunteerScheme, { description: 'publishes a new version of the time-bank rules from a time not in the past' })
  async publishVolunteerScheme(
    @Arg('effectiveFrom', () => Date) effectiveFrom: Date,
    @Arg('rules', () => VolunteerSchemeRulesInput) rules: VolunteerSchemeRulesInput,
    @Ctx() ctx: Context,
  ): Promise<VolunteerScheme> {
    return toSchemeType(await publishScheme(ctx.rt, requireRole(ctx.caller, 'CITY_ADMIN'), effectiveFrom, rules));
  }
}
