import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Ctx as Context } from '../runtime';
import { requireCaller } from '@citypoints/auth';
import { OrganisationGrading } from '../grading/grading.type';
import type { StoredGrading } from '../grading/grading.service';
import { OrganisationIndicatorInput, OrganisationViolationInput } from './indicator.type';
import { recordIndicator, recordViolation } from './indicator.service';
import { withReadThrough } from '@citypoints/events';
import { ensureOrganisations } from '../organisations/projection.handlers';

@Resolver()
export class IndicatorResolver {
  @Authorized('CITY_ADMIN', 'DATA_FEED', 'TOWN_OFFICIAL')
  @Mutation(() => OrganisationGrading, { description: "a positive indicator of a category for the year; the category's cap applies in the grading" })
  async recordOrganisationIndicator(@Arg('input') input: OrganisationIndicatorInput, @Ctx() ctx: Context): Promise<StoredGrading> {
    return withReadThrough(() => recordIndicator(ctx.rt, requireCaller(ctx.caller), input), () => ensureOrganisations(ctx, [input.uscc]));
  }

  @Authorized('CITY_ADMIN', 'DATA_FEED', 'TOWN_OFFICIAL')
  @Mutation(() => OrganisationGrading, { description: "the organisation's own violation, deducting its severity" })
  async recordOrganisationViolation(@Arg('input') input: OrganisationViolationInput, @Ctx() ctx: Context): Promise<StoredGrading> {
    return withReadThrough(() => recordViolation(ctx.rt, requireCaller(ctx.caller), input), () => ensureOrganisations(ctx, [input.uscc]));
  }
}
