import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { gradingRun, startGradingRun, toGradingRun, waitForGradingRun } from './grading.run';
import type { Ctx as Context } from '../runtime';
import { requireCaller } from '@citypoints/auth';
import { requireCityManager } from '../organisations/access';
import { OrganisationGrade, OrganisationGrading, OrganisationGradingConnection, OrganisationGradingRun, SocialOrganisationKind, SocialOrganisationRef } from './grading.type';
import { OrganisationGradingScheme } from '../scheme/scheme.type';
import { schemeByVersion } from '../scheme/scheme.service';
import { assertCanReadGrading, requireGradingReader, gradingKey, gradingLoader, listGradings, ranking, type StoredGrading } from './grading.service';

export const GRADING_READERS = ['CITY_ADMIN', 'DEPARTMENT_ANALYST', 'DATA_FEED', 'TOWN_OFFICIAL'] as const;

@Resolver(() => SocialOrganisationRef)
export class GradingResolver {
  @Authorized(...GRADING_READERS)
  @FieldResolver(() => OrganisationGrading, { nullable: true, description: 'the grading of the year (the latest graded year when omitted)' })
  async grading(@Root() o: SocialOrganisationRef, @Arg('year', () => Int, { nullable: true }) year: number | null, @Ctx() ctx: Context): Promise<StoredGrading | null> {
    const caller = requireGradingReader(requireCaller(ctx.caller));
    const g = await gradingLoader(ctx).load(gradingKey(o.uscc, year));
    if (g) assertCanReadGrading(caller, g);
    return g;
  }

  @Authorized(...GRADING_READERS)
  @Query(() => [SocialOrganisationRef], { description: 'graded organisations of the year, highest points first (equal points by USCC)' })
  organisationRanking(
    @Arg('year', () => Int) year: number,
    @Arg('kind', () => SocialOrganisationKind, { nullable: true }) kind: SocialOrganisationKind | null,
    @Ctx() ctx: Context,
  ): Promise<SocialOrganisationRef[]> {
    return ranking(ctx.rt, requireCaller(ctx.caller), year, kind ?? null);
  }

  @Authorized('CITY_ADMIN', 'DATA_FEED')
  @Mutation(() => Int, { description: 'grades every organisation for the year and decides its funding rewards, as a queued run it waits for; returns how many were graded' })
  async runOrganisationGrading(@Arg('year', () => Int) year: number, @Ctx() ctx: Context): Promise<number> {
    requireCityManager(ctx.caller);
    const run = await waitForGradingRun(ctx.rt, await startGradingRun(ctx.rt, year));
    if (run.status !== 'COMPLETED') throw new Error(`grading run ${run.id} ended ${run.status}: ${run.error ?? 'no error recorded'}`);
    return toGradingRun(run).graded;
  }

  @Authorized('CITY_ADMIN', 'DATA_FEED')
  @Mutation(() => OrganisationGradingRun, { description: "queues the year's grading and returns its run at once; follow it with organisationGradingRun" })
  async startOrganisationGrading(@Arg('year', () => Int) year: number, @Ctx() ctx: Context): Promise<OrganisationGradingRun> {
    requireCityManager(ctx.caller);
    return toGradingRun(await startGradingRun(ctx.rt, year));
  }

  @Authorized('CITY_ADMIN', 'DATA_FEED')
  @Query(() => OrganisationGradingRun, { nullable: true })
  async organisationGradingRun(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<OrganisationGradingRun | null> {
    requireCityManager(ctx.caller);
    const run = await gradingRun(ctx.rt, id);
    return run && toGradingRun(run);
  }
}

@Resolver(() => OrganisationGrading)
export class GradingListResolver {
  @Authorized(...GRADING_READERS)
  @Query(() => OrganisationGradingConnection, { description: "a page of the year's gradings in ranking order, e.g. every RED one or those flagged for exit" })
  organisationGradings(
    @Arg('year', () => Int) year: number,
    @Arg('kind', () => SocialOrganisationKind, { nullable: true }) kind: SocialOrganisationKind | null,
    @Arg('grade', () => OrganisationGrade, { nullable: true }) grade: OrganisationGrade | null,
    @Arg('exitFlagged', () => Boolean, { nullable: true }) exitFlagged: boolean | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ) {
    return listGradings(ctx.rt, requireCaller(ctx.caller), { year, kind: kind ?? null, grade: grade ?? null, exitFlagged: exitFlagged ?? null, first: first ?? null, after: after ?? null });
  }

  @FieldResolver(() => SocialOrganisationRef)
  organisation(@Root() g: StoredGrading): SocialOrganisationRef {
    return { uscc: g.uscc };
  }

  @FieldResolver(() => OrganisationGradingScheme, { description: 'the grading scheme version the grading was computed under, as it was published' })
  async scheme(@Root() g: StoredGrading, @Ctx() ctx: Context): Promise<OrganisationGradingScheme> {
    const s = await schemeByVersion(ctx.rt.ds, g.schemeCode, g.schemeVersion);
    return { ...s, id: String(s.id) };
  }
}

export const organisationReference = {
  __resolveReference: (ref: { uscc: string }) => ({ uscc: ref.uscc }),
};
