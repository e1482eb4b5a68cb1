import { Arg, Authorized, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { maskName } from '@citypoints/kit';
import { DivisionRef, divisionRef } from '../divisions/division.ref';
import { ResidentRef } from '../residents/resident.ref';
import { withReadThrough } from '@citypoints/events';
import { ensureResidents } from '../residents/resident.projection';
import { schemeLoader } from '../schemes/scheme.service';
import { PointsBreakdown } from '../schemes/scheme.type';
import { School, SchoolGrade } from '../schools/school.type';
import { schoolLoader } from '../schools/school.service';
import { talentHolderLoader } from '../talent/talent.service';
import { AdmissionRun, AdmissionRunDocuments, RunVerification, ApplicationStatus, SchoolCutoff, IndicatorVerdictInput, RankingConnection, RankingEntry, SchoolApplication, SubmitSchoolApplicationInput } from './application.type';
import {
  disqualifySchoolApplication,
  mySchoolApplications,
  schoolApplication,
  seesChild,
  submitSchoolApplication,
  verifySchoolIndicators,
  withdrawSchoolApplication,
} from './application.service';
import { admissionRun, listedStatus, requestAdmissionRun, resultLoader, schoolRanking } from './admission.service';
import { answerRecheck, publiciseAdmissionRun, rechecksLoader, requestRecheck } from './publicity.service';
import { Recheck } from './publicity.type';
import { admissionRunDocuments, verifyAdmissionRun } from './verify.service';
import { Ctx } from '../runtime';

@Resolver(() => SchoolApplication)
export class SchoolApplicationResolver {
  @Authorized()
  @Query(() => SchoolApplication, { nullable: true, description: 'the parent, officials of the town and city-wide callers only' })
  schoolApplication(@Arg('applicationNo', () => ID) applicationNo: string, @Ctx() ctx: Ctx): Promise<SchoolApplication | null> {
    return schoolApplication(ctx, applicationNo);
  }

  @Authorized('RESIDENT')
  @Query(() => [SchoolApplication])
  mySchoolApplications(@Ctx() ctx: Ctx): Promise<SchoolApplication[]> {
    return mySchoolApplications(ctx.rt, ctx.caller);
  }

  @FieldResolver(() => DivisionRef)
  town(@Root() a: SchoolApplication): DivisionRef {
    return divisionRef(a.townCode);
  }

  @FieldResolver(() => ResidentRef)
  parent(@Root() a: SchoolApplication): ResidentRef {
    return { id: a.parentId };
  }

  @FieldResolver(() => String, { description: 'masked unless authorised' })
  childName(@Root() a: SchoolApplication, @Ctx() ctx: Ctx): string {
    return seesChild(ctx.caller, a) ? a.childFullName : maskName(a.childFullName);
  }

  @FieldResolver(() => [School])
  async preferences(@Root() a: SchoolApplication, @Ctx() ctx: Ctx): Promise<School[]> {
    const schools = await schoolLoader(ctx).loadMany(a.preferenceIds);
    return schools.filter((s): s is School => !!s && !(s instanceof Error));
  }

  @FieldResolver(() => ApplicationStatus)
  async status(@Root() a: SchoolApplication, @Ctx() ctx: Ctx): Promise<ApplicationStatus> {
    if (a.storedStatus === 'WITHDRAWN' || a.storedStatus === 'DISQUALIFIED') return ApplicationStatus[a.storedStatus];
    const r = await resultLoader(ctx).load(a.applicationNo);
    return r ? listedStatus(r.outcome, r.phase) : ApplicationStatus[a.storedStatus];
  }

  @FieldResolver(() => Boolean, { description: 'placed before points (talent card, honours, veterans)' })
  async priority(@Root() a: SchoolApplication, @Ctx() ctx: Ctx): Promise<boolean> {
    return a.priorityClaim || (await talentHolderLoader(ctx).load(a.parentId));
  }

  @FieldResolver(() => PointsBreakdown)
  async points(@Root() a: SchoolApplication, @Ctx() ctx: Ctx): Promise<PointsBreakdown> {
    const scheme = await schemeLoader(ctx).load(a.schemeId);
    return { total: a.breakdown.total, schemeCode: scheme!.code, schemeVersion: scheme!.version, scheme: scheme!, lines: a.breakdown.lines as PointsBreakdown['lines'] };
  }

  @FieldResolver(() => Int, { nullable: true, description: '1-based within (year, town, grade) once ranked' })
  async rank(@Root() a: SchoolApplication, @Ctx() ctx: Ctx): Promise<number | null> {
    return (await resultLoader(ctx).load(a.applicationNo))?.rank ?? null;
  }

  @FieldResolver(() => Int, { nullable: true })
  async poolSize(@Root() a: SchoolApplication, @Ctx() ctx: Ctx): Promise<number | null> {
    return (await resultLoader(ctx).load(a.applicationNo))?.poolSize ?? null;
  }

  @FieldResolver(() => School, { nullable: true })
  async placement(@Root() a: SchoolApplication, @Ctx() ctx: Ctx): Promise<School | null> {
    const r = await resultLoader(ctx).load(a.applicationNo);
    return r?.schoolId ? schoolLoader(ctx).load(r.schoolId) : null;
  }

  @FieldResolver(() => Number, { nullable: true, description: 'lowest total placed by points at the placed school' })
  async cutoff(@Root() a: SchoolApplication, @Ctx() ctx: Ctx): Promise<number | null> {
    return (await resultLoader(ctx).load(a.applicationNo))?.cutoff ?? null;
  }

  @FieldResolver(() => String, { nullable: true, description: 'NEGATIVE_POINTS when the latest run kept a total below 0 out of the pool' })
  async rejectedReason(@Root() a: SchoolApplication, @Ctx() ctx: Ctx): Promise<string | null> {
    return (await resultLoader(ctx).load(a.applicationNo))?.outcome === 'REJECTED' ? 'NEGATIVE_POINTS' : null;
  }

  @FieldResolver(() => String, { nullable: true, description: 'INELIGIBLE: the eligibility conditions the latest run found not verified (RESIDENCE_PERMIT, SOCIAL_INSURANCE)' })
  async ineligibleReason(@Root() a: SchoolApplication, @Ctx() ctx: Ctx): Promise<string | null> {
    const r = await resultLoader(ctx).load(a.applicationNo);
    return r?.outcome === 'INELIGIBLE' ? r.reason : null;
  }

  @FieldResolver(() => [String], { description: 'eligibility conditions of the scheme not verified yet; the application stays out of the pool until they are' })
  unmetConditions(@Root() a: SchoolApplication): string[] {
    return a.unmetConditions;
  }

  @FieldResolver(() => String, { nullable: true, description: 'why the application was disqualified' })
  disqualifiedReason(@Root() a: SchoolApplication): string | null {
    return a.disqualifiedReason;
  }

  @FieldResolver(() => [Recheck], { description: 're-checks asked for during publicity, with their answers' })
  rechecks(@Root() a: SchoolApplication, @Ctx() ctx: Ctx): Promise<Recheck[]> {
    return rechecksLoader(ctx).load(a.applicationNo);
  }

  @Authorized('RESIDENT')
  @Mutation(() => SchoolApplication, { description: 'the applicant asks, while the ranked list is public, for a line to be checked again' })
  requestRecheck(@Arg('applicationNo', () => ID) applicationNo: string, @Arg('code') code: string, @Arg('reason') reason: string, @Ctx() ctx: Ctx): Promise<SchoolApplication> {
    return requestRecheck(ctx.rt, ctx.caller, applicationNo, code, reason);
  }

  @Authorized('EDUCATION_OFFICER')
  @Mutation(() => SchoolApplication, { description: 'a reviewer answers an open re-check with a verdict on the line' })
  answerRecheck(@Arg('applicationNo', () => ID) applicationNo: string, @Arg('verdict', () => IndicatorVerdictInput) verdict: IndicatorVerdictInput, @Ctx() ctx: Ctx): Promise<SchoolApplication> {
    return answerRecheck(ctx.rt, ctx.caller, applicationNo, verdict);
  }

  @Authorized()
  @Mutation(() => SchoolApplication)
  async submitSchoolApplication(@Arg('input') input: SubmitSchoolApplicationInput, @Ctx() ctx: Ctx): Promise<SchoolApplication> {
    return withReadThrough(() => submitSchoolApplication(ctx.rt, ctx.caller, input), () => ensureResidents(ctx, [input.parentId]));
  }

  @Authorized('EDUCATION_OFFICER')
  @Mutation(() => SchoolApplication)
  verifyIndicators(
    @Arg('applicationNo', () => ID) applicationNo: string,
    @Arg('verdicts', () => [IndicatorVerdictInput]) verdicts: IndicatorVerdictInput[],
    @Ctx() ctx: Ctx,
  ): Promise<SchoolApplication> {
    return verifySchoolIndicators(ctx.rt, ctx.caller, applicationNo, verdicts);
  }

  @Authorized('EDUCATION_OFFICER')
  @Mutation(() => SchoolApplication)
  disqualifySchoolApplication(@Arg('applicationNo', () => ID) applicationNo: string, @Arg('reason') reason: string, @Ctx() ctx: Ctx): Promise<SchoolApplication> {
    return disqualifySchoolApplication(ctx.rt, ctx.caller, applicationNo, reason);
  }

  @Authorized()
  @Mutation(() => SchoolApplication)
  withdrawSchoolApplication(@Arg('applicationNo', () => ID) applicationNo: string, @Ctx() ctx: Ctx): Promise<SchoolApplication> {
    return withdrawSchoolApplication(ctx.rt, ctx.caller, applicationNo);
  }
}

@Resolver(() => AdmissionRun)
export class AdmissionRunResolver {
  @Authorized()
  @Query(() => AdmissionRun, { nullable: true })
  admissionRun(@Arg('id', () => ID) id: string, @Ctx() ctx: Ctx): Promise<AdmissionRun | null> {
    return admissionRun(ctx.rt, id);
  }

  @Authorized()
  @Query(() => RunVerification, { description: 'recomputes a run’s list from its stored inputs and compares it with the published one (docs/verifiable-rankings.md)' })
  verifyAdmissionRun(@Arg('id', () => ID) id: string, @Ctx() ctx: Ctx): Promise<RunVerification> {
    return verifyAdmissionRun(ctx.rt, ctx.caller, id);
  }

  @Authorized()
  @Query(() => AdmissionRunDocuments, { description: 'a run’s canonical input document and its published list, to check with tools/verify-ranking.mjs' })
  admissionRunDocuments(@Arg('id', () => ID) id: string, @Ctx() ctx: Ctx): Promise<AdmissionRunDocuments> {
    return admissionRunDocuments(ctx.rt, ctx.caller, id);
  }

  @Authorized('EDUCATION_OFFICER')
  @Mutation(() => AdmissionRun, { description: 'opens the publicity (公示) of a pool’s published run for the configured working days' })
  publiciseAdmissionRun(@Arg('id', () => ID) id: string, @Ctx() ctx: Ctx): Promise<AdmissionRun> {
    return publiciseAdmissionRun(ctx.rt, ctx.caller, id);
  }

  @Authorized('EDUCATION_OFFICER')
  @Mutation(() => AdmissionRun, { description: 'queues a ranking and placement run of the pool; without a seed one is drawn and published with the run' })
  runSchoolAdmission(
    @Arg('year', () => Int) year: number,
    @Arg('townCode', () => ID) townCode: string,
    @Arg('grade', () => SchoolGrade) grade: SchoolGrade,
    @Arg('seed', () => String, { nullable: true }) seed: string | null,
    @Ctx() ctx: Ctx,
  ): Promise<AdmissionRun> {
    return requestAdmissionRun(ctx.rt, ctx.caller, year, townCode, grade, seed);
  }
}

@Resolver(() => SchoolCutoff)
export class SchoolCutoffResolver {
  @FieldResolver(() => School)
  async school(@Root() c: SchoolCutoff, @Ctx() ctx: Ctx): Promise<School> {
    return (await schoolLoader(ctx).load(c.schoolId))!;
  }
}

@Resolver(() => RankingEntry)
export class RankingResolver {
  @Authorized()
  @Query(() => RankingConnection, { description: 'the public list of the latest completed run, names masked' })
  schoolRanking(
    @Arg('year', () => Int) year: number,
    @Arg('townCode', () => ID) townCode: string,
    @Arg('grade', () => SchoolGrade) grade: SchoolGrade,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Ctx,
  ): Promise<RankingConnection> {
    return schoolRanking(ctx.rt, year, townCode, grade, first, after);
  }

  @FieldResolver(() => School, { nullable: true })
  placement(@Root() e: RankingEntry, @Ctx() ctx: Ctx): Promise<School | null> | null {
    return e.placementId ? schoolLoader(ctx).load(e.placementId) : null;
  }
}
