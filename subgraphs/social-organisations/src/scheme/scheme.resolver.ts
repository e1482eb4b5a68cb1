import { Arg, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { Ctx as Context } from '../runtime';
import { JSONScalar } from '@citypoints/federation';
import { requireCityManager } from '../organisations/access';
import type { GradingScheme } from './scheme.rules';
import { assertYear, findScheme, publishScheme, schemeHistory } from './scheme.service';
import { OrganisationGradingScheme } from './scheme.type';

const toType = (s: GradingScheme): OrganisationGradingScheme => ({ ...s, id: String(s.id) });

@Resolver()
export class SchemeResolver {
  @Authorized()
  @Query(() => OrganisationGradingScheme, { description: 'the grading scheme in force for a year' })
  async organisationGradingScheme(@Arg('year', () => Int) year: number, @Ctx() ctx: Context): Promise<OrganisationGradingScheme> {
    assertYear(year);
    return toType(await findScheme(ctx.rt, year));
  }

  @Authorized()
  @Query(() => [OrganisationGradingScheme], { description: 'every version of a grading scheme, newest effective first' })
  async organisationGradingSchemes(@Arg('code') code: string, @Ctx() ctx: Context): Promise<OrganisationGradingScheme[]> {
    return (await schemeHistory(ctx.rt, code)).map(toType);
  }

  @Authorized('CITY_ADMIN', 'DATA_FEED')
  @Mutation(() => OrganisationGradingScheme, { description: 'publishes the next version of a grading scheme, in force from a year on' })
  async publishOrganisationGradingScheme(
    @Arg('code') code: string,
    @Arg('effectiveFromYear', () => Int) effectiveFromYear: number,
    @Arg('definition', () => JSONScalar) definition: unknown,
    @Ctx() ctx: Context,
  ): Promise<OrganisationGradingScheme> {
    return toType(await publishScheme(ctx.rt, requireCityManager(ctx.caller), code, effectiveFromYear, definition));
  }
}
