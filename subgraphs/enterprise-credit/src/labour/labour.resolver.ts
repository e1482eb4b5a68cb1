import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { requireCaller } from '@citypoints/auth';
import type { SubgraphContext } from '@citypoints/federation';
import { LabourIndicatorsInput, ScoringRun } from './labour.type';
import { reportLabourIndicators } from './labour.service';
import { runLabourRiskScoring, scoringRun } from './labour.scoring';

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
}
