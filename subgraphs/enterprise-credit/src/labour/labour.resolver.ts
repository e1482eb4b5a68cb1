import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { requireCaller } from '@citypoints/auth';
import type { SubgraphContext } from '@citypoints/federation';
import { LabourIndicatorsInput, ScoringRun } from './labour.type';
import { reportLabourIndicators } from './labour.service';
import { runLabourRiskScoring, scoringRun } from './labour.scoring';
import { LabourRiskSchemeInput, LabourRiskSchemeView, labourRiskSchemeFor, publishLabourRiskScheme } from './labour.scheme.publish';

@Resolver()
export class LabourResolver {
  @Authorized('DATA_FEED')
  @Mutation(() => Int, { description: 'rows accepted' })
  reportLabourIndicators(@Arg('reports', () => [LabourIndicatorsInput]) reports: LabourIndicatorsInput[], @Ctx() ctx: SubgraphContext): Promise<number> {
    return reportLabourIndicators(requireCaller(ctx.caller), reports);
  }

  @Authorized('REGULATOR')
  @Mutation(() => ScoringRun)
  runLabourRiskScoring(@Arg('period') period: string, @Ctx() ctx: SubgraphContext): Promise<ScoringRun> {
    return runLabourRiskScoring(requireCaller(ctx.caller), period);
  }

  @Authorized('REGULATOR')
  @Query(() => ScoringRun, { nullable: true })
  scoringRun(@Arg('id', () => ID) id: string, @Ctx() ctx: SubgraphContext): Promise<ScoringRun | null> {
    return scoringRun(requireCaller(ctx.caller), id);
  }

  @Authorized()
  @Query(() => LabourRiskSchemeView, { description: 'the scoring table in force for a month' })
  labourRiskScheme(@Arg('period') period: string, @Ctx() ctx: SubgraphContext): Promise<LabourRiskSchemeView> {
    return labourRiskSchemeFor(requireCaller(ctx.caller), period);
  }

  @Authorized('CITY_ADMIN')
  @Mutation(() => LabourRiskSchemeView, { description: 'a new version of the scoring table, in force from its first month' })
  publishLabourRiskScheme(@Arg('input') input: LabourRiskSchemeInput, @Ctx() ctx: SubgraphContext): Promise<LabourRiskSchemeView> {
    return publishLabourRiskScheme(requireCaller(ctx.caller), input);
  }
}
