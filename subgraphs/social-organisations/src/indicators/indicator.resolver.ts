import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { SubgraphContext } from '@citypoints/federation';
import { requireCaller } from '@citypoints/auth';
import { OrganisationGrading } from '../grading/grading.type';
import type { StoredGrading } from '../grading/grading.service';
import { OrganisationIndicatorInput, OrganisationViolationInput } from './indicator.type';
import { recordIndicator, recordViolation } from './indicator.service';

@Resolver()
export class IndicatorResolver {
  @Authorized('CITY_ADMIN', 'DATA_FEED', 'TOWN_OFFICIAL')
  @Mutation(() => OrganisationGrading, { description: "a positive indicator of a category for the year; the category's cap applies in the grading" })
  recordOrganisationIndicator(@Arg('input') input: OrganisationIndicatorInput, @Ctx() ctx: SubgraphContext): Promise<StoredGrading> {
    return recordIndicator(requireCaller(ctx.caller), input);
  }

  @Authorized('CITY_ADMIN', 'DATA_FEED', 'TOWN_OFFICIAL')
  @Mutation(() => OrganisationGrading, { description: "the organisation's own violation, deducting its severity" })
  recordOrganisationViolation(@Arg('input') input: OrganisationViolationInput, @Ctx() ctx: SubgraphContext): Promise<StoredGrading> {
    return recordViolation(requireCaller(ctx.caller), input);
  }
}
