import { RunStatus } from '@citypoints/federation';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '@citypoints/federation';
import { VerificationStatus } from '../schemes/scheme.type';
import { SchoolGrade } from '../schools/school.type';
import type { Breakdown } from '../schemes/engine';

export enum ApplicationStatus {
  SUBMITTED = 'SUBMITTED',
  VERIFIED = 'VERIFIED',
  RANKED = 'RANKED',
  PUBLICISED = 'PUBLICISED',
  ADMITTED = 'ADMITTED',
  WAITLISTED = 'WAITLISTED',
  REJECTED = 'REJECTED',
  WITHDRAWN = 'WITHDRAWN',
  DISQUALIFIED = 'DISQUALIFIED',
  ELIGIBLE = 'ELIGIBLE',
  INELIGIBLE = 'INELIGIBLE',
}
registerEnumType(ApplicationStatus, { name: 'ApplicationStatus' });


/** A school application as stored; the GraphQL fields resolve from it. */
@ObjectType()
export class SchoolApplication {
  @Field(() => ID) applicationNo: string;
  @Field(() => Int) year: number;
  @Field(() => SchoolGrade) grade: SchoolGrade;
  @Field(() => Date) submittedAt: Date;
  townCode: string;
  parentId: string;
  childFullName: string;
  storedStatus: 'SUBMITTED' | 'VERIFIED' | 'WITHDRAWN' | 'DISQUALIFIED';
  preferenceIds: string[];
  breakdown: Breakdown;
  schemeId: string;
  priorityClaim: boolean;
  disqualifiedReason: string | null;
  /** the scheme's eligibility conditions not verified yet (docs/domain/01-school-admission.md) */
  unmetConditions: string[];
}

@ObjectType({ description: 'the lowest total a run placed by points at a school' })
export class SchoolCutoff {
  @Field(() => Float) cutoff: number;
  schoolId: string;
}

@ObjectType()
export class AdmissionRun {
  @Field(() => ID) id: string;
  @Field(() => Int) year: number;
  @Field(() => ID) townCode: string;
  @Field(() => SchoolGrade) grade: SchoolGrade;
  @Field(() => RunStatus) status: RunStatus;
  @Field(() => String, { nullable: true }) seed: string | null;
  @Field(() => Float, { nullable: true }) progress: number | null;
  @Field(() => Int, { nullable: true }) ranked: number | null;
  @Field(() => Int, { nullable: true }) placed: number | null;
  @Field(() => Int, { nullable: true }) waitlisted: number | null;
  @Field(() => String, { nullable: true }) error: string | null;
  @Field(() => Int, { nullable: true, description: 'applications whose negative total kept them out of the pool' }) rejected: number | null;
  @Field(() => Int, { nullable: true, description: 'pool size the run ranked' }) poolSize: number | null;
  @Field(() => Float, { nullable: true, description: 'sum of the pool’s totals, a check that a re-run saw the same inputs' }) totalsSum: number | null;
  @Field(() => String, { nullable: true, description: 'SHA-256 of the ranked inputs (application, total, tie-breakers, priority, preferences) and seats' }) inputsDigest: string | null;
  @Field(() => [SchoolCutoff], { description: 'per school, published with the run' }) cutoffs: SchoolCutoff[];
  @Field(() => String, { nullable: true, description: 'first day of the publicity (公示), YYYY-MM-DD' }) publicisedOn: string | null;
  @Field(() => String, { nullable: true, description: 'last day re-checks are taken, YYYY-MM-DD' }) publicityUntil: string | null;
  @Field(() => Int, { nullable: true, description: 'applications kept out of the pool because an eligibility condition was not verified' }) ineligible: number | null;
  @Field(() => Date, { nullable: true, description: 'when the finalising job made this run the final list (ADMITTED / WAITLISTED)' }) finalisedAt: Date | null;
  @Field(() => String, { nullable: true, description: 'SHA-256 of the canonical input document (docs/verifiable-rankings.md)' }) inputDigest: string | null;
  @Field(() => String, { nullable: true, description: 'SHA-256 of the canonical output document: the ranked, placed list' }) outputDigest: string | null;
}

@ObjectType()
export class RankingEntry {
  @Field(() => Int) rank: number;
  @Field(() => ID) applicationNo: string;
  @Field() parentNameMasked: string;
  @Field(() => Float) total: number;
  @Field(() => ApplicationStatus) status: ApplicationStatus;
  @Field({ description: 'placed before points (talent card, honours, veterans)' }) priority: boolean;
  placementId: string | null;
}

@ObjectType()
export class RankingConnection {
  @Field(() => [RankingEntry]) nodes: RankingEntry[];
  @Field(() => Int) totalCount: number;
  @Field(() => PageInfo) pageInfo: PageInfo;
  @Field(() => ID, { nullable: true, description: 'the run this list comes from' }) runId?: string | null;
  @Field(() => String, { nullable: true, description: 'SHA-256 of the run’s canonical inputs' }) inputDigest?: string | null;
  @Field(() => String, { nullable: true, description: 'SHA-256 of the run’s canonical output, which anyone can recompute from the inputs' }) outputDigest?: string | null;
}

@ObjectType({ description: 'verifyAdmissionRun: the output recomputed from the stored inputs, compared with the published list' })
export class RunVerification {
  @Field(() => ID) runId: string;
  @Field() identical: boolean;
  @Field() inputDigest: string;
  @Field() outputDigest: string;
  @Field() recomputedOutputDigest: string;
  @Field(() => [String], { description: 'what differs, row by row, when not identical' }) differences: string[];
}

@ObjectType({ description: 'the canonical documents of a run, for anyone to check with tools/verify-ranking.mjs' })
export class AdmissionRunDocuments {
  @Field(() => ID) runId: string;
  @Field({ description: 'the input document, JSON lines' }) inputs: string;
  @Field({ description: 'the published list as an output document, JSON lines' }) outputs: string;
  @Field() inputDigest: string;
  @Field() outputDigest: string;
}

@InputType()
export class IndicatorInput {
  @Field() code: string;
  @Field({ description: 'option code, number, or "true"' }) value: string;
}

@InputType()
export class IndicatorVerdictInput {
  @Field() code: string;
  @Field(() => VerificationStatus) status: VerificationStatus;
  @Field(() => String, { nullable: true }) verifiedValue?: string | null;
}

@InputType()
export class SubmitSchoolApplicationInput {
  @Field(() => ID) parentId: string;
  @Field() childName: string;
  @Field() childIdNumber: string;
  @Field(() => Int) year: number;
  @Field(() => SchoolGrade) grade: SchoolGrade;
  @Field(() => ID) townCode: string;
  @Field(() => [ID]) preferences: string[];
  @Field(() => [IndicatorInput]) indicators: IndicatorInput[];
  @Field(() => String, { nullable: true }) idempotencyKey?: string | null;
}

export { RunStatus };
