import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireCaller } from '@citypoints/auth';
import type { Ctx as Context } from '../runtime';
import { LabourIndicatorsInput, LabourRisk, ScoringRun } from './labour.type';
import { labourRiskScheme } from './labour.scheme';
import { reportLabourIndicators } from './labour.service';
import { runLabourRiskScoring, scoringRun } from './labour.scoring';
import { LabourRiskSchemeInput, LabourRiskSchemeView, labourRiskSchemeFor, labourRiskSchemeHistoryFor, publishLabourRiskScheme, toSchemeView } from './labour.scheme.publish';

@Resolver()
export class LabourResolver {
  @Authorized('DATA_FEED')
  @Mutation(() => Int, { description: 'rows accepted' })
  reportLabourIndicators(@Arg('reports', () => [LabourIndicatorsInput]) reports: LabourIndicatorsInput[], @Ctx() ctx: Context): Promise<number> {
    return reportLabourIndicators(ctx.rt, requireCaller(ctx.caller), reports);
  }

  @Authorized('REGULATOR')
  @Mutation(() => ScoringRun)
  runLabourRiskScoring(
    @Arg('period') period: string,
    @Ctx() ctx: Context,
    @Arg('divisionCode', () => ID, { nullable: true, description: "one division's enterprises; a regulator's own division by default, the whole city for the city admin" }) divisionCode?: string | null,
  ): Promise<ScoringRun> {
    return runLabourRiskScoring(ctx.rt, requireCaller(ctx.caller), period, divisionCode);
  }

  @Authorized('REGULATOR')
  @Query(() => ScoringRun, { nullable: true })
  scoringRun(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ScoringRun | null> {
    return scoringRun(ctx.rt, requireCaller(ctx.caller), id);
  }

  @Authorized()
  @Query(() => LabourRiskSchemeView, { description: 'the scoring table in force for a month' })
  labourRiskScheme(@Arg('period') period: string, @Ctx() ctx: Context): Promise<LabourRiskSchemeView> {
    return labourRiskSchemeFor(ctx.rt, requireCaller(ctx.caller), period);
  }

  @Authorized()
  @Query(() => [LabourRiskSchemeView], { description: 'every version of the scoring table, newest first' })
  labourRiskSchemeHistory(@Ctx() ctx: Context): Promise<LabourRiskSchemeView[]> {
    return labourRiskSchemeHistoryFor(ctx.rt, requireCaller(ctx.caller));
  }

  @Authorized('CITY_ADMIN')
  @Mutation(() => LabourRiskSchemeView, { description: 'a new version of the scoring table, in force from its first month' })
  publishLabourRiskScheme(@Arg('input') input: LabourRiskSchemeInput, @Ctx() ctx: Context): Promise<LabourRiskSchemeView> {
    return publishLabourRiskScheme(ctx.rt, requireCaller(ctx.caller), input);
  }
}

/** A score explains itself by the scheme version it was computed under, as that version was published. */
@Resolver(() => LabourRisk)
export class LabourRiskSchemeResolver {
  @FieldResolver(() => LabourRiskSchemeView, { description: 'the scoring table of the version the score was computed under' })
  async scheme(@Root() r: LabourRisk, @Ctx() ctx: Context): Promise<LabourRiskSchemeView> {
    return toSchemeView(await labourRiskScheme(ctx.rt.ds, r.schemeVersion, ctx.rt.labourSchemes));
  }
}
