import { Arg, Authorized, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { JSONScalar } from '@citypoints/federation';
import { DivisionRef, divisionRef } from '../divisions/division.ref';
import { ResidentRef } from '../residents/resident.ref';
import { ApplicationStatus, IndicatorVerdictInput } from '../admission/application.type';
import { schemeLoader } from '../schemes/scheme.service';
import { PointsBreakdown } from '../schemes/scheme.type';
import { HouseholdApplication, HouseholdStage, OverdueStage, SubmitHouseholdApplicationInput } from './household.type';
import {
  completeHouseholdStage,
  householdApplication,
  overdueStages,
  rejectHouseholdApplication,
  stagesLoader,
  submitHouseholdApplication,
  verifyHouseholdIndicators,
  withdrawHouseholdApplication,
} from './household.service';
import { Ctx } from '../runtime';

@Resolver(() => HouseholdApplication)
export class HouseholdApplicationResolver {
  @Authorized()
  @Query(() => HouseholdApplication, { nullable: true, description: 'the applicant, officials of the town and city-wide callers only' })
  householdApplication(@Arg('applicationNo', () => ID) applicationNo: string, @Ctx() ctx: Ctx): Promise<HouseholdApplication | null> {
    return householdApplication(ctx, applicationNo);
  }

  @Authorized('HUKOU_OFFICER', 'TOWN_OFFICIAL')
  @Query(() => [OverdueStage], { description: 'stages of the town’s applications flagged overdue and not yet done, optionally for one office' })
  overdueHouseholdStages(@Arg('townCode', () => ID) townCode: string, @Arg('office', () => String, { nullable: true }) office: string | null, @Ctx() ctx: Ctx): Promise<OverdueStage[]> {
    return overdueStages(ctx.rt, ctx.caller, townCode, office);
  }

  @FieldResolver(() => ResidentRef)
  applicant(@Root() a: HouseholdApplication): ResidentRef {
    return { id: a.applicantId };
  }

  @FieldResolver(() => DivisionRef)
  town(@Root() a: HouseholdApplication): DivisionRef {
    return divisionRef(a.townCode);
  }

  @FieldResolver(() => ApplicationStatus)
  status(@Root() a: HouseholdApplication): ApplicationStatus {
    return ApplicationStatus[a.storedStatus];
  }

  @FieldResolver(() => PointsBreakdown)
  async points(@Root() a: HouseholdApplication, @Ctx() ctx: Ctx): Promise<PointsBreakdown> {
    const scheme = await schemeLoader(ctx).load(a.schemeId);
    return { total: a.breakdown.total, schemeCode: scheme!.code, schemeVersion: scheme!.version, scheme: scheme!, lines: a.breakdown.lines as PointsBreakdown['lines'] };
  }

  @FieldResolver(() => JSONScalar, { description: 'stage -> due date (YYYY-MM-DD), each counted in working days (libs/calendar) from the previous stage’s completion; null past the calendar' })
  async stageDueDates(@Root() a: HouseholdApplication, @Ctx() ctx: Ctx): Promise<Record<string, string | null>> {
    const stages = await stagesLoader(ctx).load(a.applicationNo);
    return Object.fromEntries(stages.map((s) => [s.stage, s.dueDate]));
  }

  @FieldResolver(() => [HouseholdStage], { description: 'each procedure stage with its office, due date, completion and overdue flag' })
  stages(@Root() a: HouseholdApplication, @Ctx() ctx: Ctx): Promise<HouseholdStage[]> {
    return stagesLoader(ctx).load(a.applicationNo);
  }

  @Authorized()
  @Mutation(() => HouseholdApplication)
  submitHouseholdApplication(@Arg('input') input: SubmitHouseholdApplicationInput, @Ctx() ctx: Ctx): Promise<HouseholdApplication> {
    return submitHouseholdApplication(ctx.rt, ctx.caller, input);
  }

  @Authorized('HUKOU_OFFICER')
  @Mutation(() => HouseholdApplication)
  verifyHouseholdIndicators(
    @Arg('applicationNo', () => ID) applicationNo: string,
    @Arg('verdicts', () => [IndicatorVerdictInput]) verdicts: IndicatorVerdictInput[],
    @Arg('verifiedConditions', () => [String], { nullable: true }) verifiedConditions: string[] | null,
    @Ctx() ctx: Ctx,
  ): Promise<HouseholdApplication> {
    return verifyHouseholdIndicators(ctx.rt, ctx.caller, applicationNo, verdicts, verifiedConditions);
  }

  @Authorized('HUKOU_OFFICER')
  @Mutation(() => HouseholdApplication, { description: 'false documents: rejected, and the applicant barred for the scheme’s barYears' })
  rejectHouseholdApplication(@Arg('applicationNo', () => ID) applicationNo: string, @Arg('reason') reason: string, @Ctx() ctx: Ctx): Promise<HouseholdApplication> {
    return rejectHouseholdApplication(ctx.rt, ctx.caller, applicationNo, reason);
  }

  @Authorized()
  @Mutation(() => HouseholdApplication, { description: 'the applicant (or an official of the town) withdraws the application' })
  withdrawHouseholdApplication(@Arg('applicationNo', () => ID) applicationNo: string, @Ctx() ctx: Ctx): Promise<HouseholdApplication> {
    return withdrawHouseholdApplication(ctx.rt, ctx.caller, applicationNo);
  }

  @Authorized('HUKOU_OFFICER')
  @Mutation(() => HouseholdApplication, { description: 'marks the next procedure stage done' })
  completeHouseholdStage(@Arg('applicationNo', () => ID) applicationNo: string, @Arg('stage') stage: string, @Ctx() ctx: Ctx): Promise<HouseholdApplication> {
    return completeHouseholdStage(ctx.rt, ctx.caller, applicationNo, stage);
  }
}
