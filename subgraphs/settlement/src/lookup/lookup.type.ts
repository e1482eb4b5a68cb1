import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { RunStatus } from '@citypoints/federation';
import { ApplicationStatus } from '../admission/application.type';
import { DivisionRef } from '../divisions/division.ref';
import { VerificationStatus } from '../schemes/scheme.type';
import { School, SchoolGrade } from '../schools/school.type';

@ObjectType({ description: 'one indicator line as the parent sees it: claimed, verified, points and where the verified value came from' })
export class AdmissionLookupLine {
  @Field() code: string;
  @Field() label: string;
  @Field(() => String, { nullable: true }) claimed: string | null;
  @Field(() => String, { nullable: true }) verified: string | null;
  @Field(() => VerificationStatus) status: VerificationStatus;
  @Field(() => Float) points: number;
  @Field() capped: boolean;
  @Field(() => String, { nullable: true, description: '"officer", or the subgraph whose records verified the line' }) source: string | null;
}

@ObjectType({ description: 'the run whose list the application is on' })
export class AdmissionLookupRun {
  @Field(() => RunStatus) status: RunStatus;
  @Field(() => Date, { nullable: true }) completedAt: Date | null;
  @Field(() => String, { nullable: true, description: 'first day of the publicity (公示), YYYY-MM-DD' }) publicisedOn: string | null;
  @Field(() => String, { nullable: true, description: 'last day a re-check may be asked for, YYYY-MM-DD' }) publicityUntil: string | null;
  @Field(() => String, { description: 'the lottery seed published with the run' }) seed: string;
}

@ObjectType({ description: 'a re-check the applicant asked for, and whether it has been answered' })
export class AdmissionLookupRecheck {
  @Field() code: string;
  @Field(() => Date) requestedAt: Date;
  @Field(() => Date, { nullable: true }) answeredAt: Date | null;
  @Field(() => VerificationStatus, { nullable: true }) answerStatus: VerificationStatus | null;
}

@ObjectType({ description: 'what a parent may see of their own school application with its number and the last 6 characters of the child’s ID number; names masked' })
export class AdmissionLookup {
  @Field(() => ID) applicationNo: string;
  @Field(() => Int) year: number;
  @Field(() => SchoolGrade) grade: SchoolGrade;
  @Field(() => DivisionRef) town: DivisionRef;
  @Field() parentNameMasked: string;
  @Field() childNameMasked: string;
  @Field(() => ApplicationStatus) status: ApplicationStatus;
  @Field(() => Date) submittedAt: Date;
  @Field(() => Float) total: number;
  @Field() schemeCode: string;
  @Field(() => Int) schemeVersion: number;
  @Field(() => [AdmissionLookupLine]) lines: AdmissionLookupLine[];
  @Field(() => [School], { description: 'the schools asked for, in order of preference' }) preferences: School[];
  @Field(() => Int, { nullable: true }) rank: number | null;
  @Field(() => Int, { nullable: true }) poolSize: number | null;
  @Field(() => School, { nullable: true }) placement: School | null;
  @Field(() => Float, { nullable: true, description: 'lowest total placed by points at the school placed in' }) cutoff: number | null;
  @Field(() => String, { nullable: true, description: 'why the run kept the application out of the pool: NEGATIVE_POINTS, or the conditions not verified' }) outOfPoolReason: string | null;
  @Field(() => AdmissionLookupRun, { nullable: true }) run: AdmissionLookupRun | null;
  @Field({ description: 'true while the publicity window is open: a re-check may be asked for' }) recheckOpen: boolean;
  @Field(() => [AdmissionLookupRecheck]) rechecks: AdmissionLookupRecheck[];
}
