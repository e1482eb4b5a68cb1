import { Directive, Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo, RunStatus } from '@citypoints/federation';

/** Identical to registry's definition: both subgraphs publish it. */
export enum SocialOrganisationKind {
  CHAMBER_OF_COMMERCE = 'CHAMBER_OF_COMMERCE',
  INDUSTRY_ASSOCIATION = 'INDUSTRY_ASSOCIATION',
  PRIVATE_NON_ENTERPRISE = 'PRIVATE_NON_ENTERPRISE',
  FOUNDATION = 'FOUNDATION',
}
registerEnumType(SocialOrganisationKind, { name: 'SocialOrganisationKind' });

export enum OrganisationGrade {
  GREEN = 'GREEN',
  YELLOW = 'YELLOW',
  RED = 'RED',
}
registerEnumType(OrganisationGrade, { name: 'OrganisationGrade' });

@ObjectType()
export class GradingLine {
  @Field() category: string;
  @Field(() => Float) points: number;
  @Field() capped: boolean;
  @Field(() => String, { nullable: true }) note: string | null;
}

@ObjectType()
export class OrganisationGrading {
  @Field(() => Int) year: number;
  @Field(() => Float) points: number;
  @Field(() => OrganisationGrade) grade: OrganisationGrade;
  @Field(() => [GradingLine], { description: 'the lines that count; they add up to points' }) lines: GradingLine[];
  @Field({ description: 'among the top places of the year at the last grading run' }) rewarded: boolean;
  @Field() exitFlagged: boolean;
  @Field() schemeCode: string;
  @Field(() => Int) schemeVersion: number;
  @Field({ description: 'the differentiated supervision of the grade' }) supervision: string;
  @Field(() => [GradingLine], { description: 'lines that no longer count, e.g. a blacklisting lifted by a credit repair' }) removedLines: GradingLine[];
  @Field(() => Int, { nullable: true }) rewardRank: number | null;
  @Field(() => Float, { nullable: true, description: 'funding reward in yuan' }) rewardAmount: number | null;
  @Field() gradedAt: Date;
}

/** Registry's entity, extended here with the grading. */
@Directive('@key(fields: "uscc")')
@ObjectType('SocialOrganisation')
export class SocialOrganisationRef {
  @Field(() => ID) uscc: string;
}

@ObjectType()
export class OrganisationGradingConnection {
  @Field(() => [OrganisationGrading]) nodes: OrganisationGrading[];
  @Field(() => Int) totalCount: number;
  @Field(() => PageInfo) pageInfo: PageInfo;
}

@ObjectType({ description: "a run grading every organisation of a year, chunk by chunk, then deciding the year's rewards" })
export class OrganisationGradingRun {
  @Field(() => ID) id: string;
  @Field(() => Int) year: number;
  @Field(() => RunStatus) status: RunStatus;
  @Field(() => Float, { description: '0 to 1' }) progress: number;
  @Field(() => Int, { description: 'the organisations the run grades, fixed when it was asked for' }) organisations: number;
  @Field(() => Int, { description: 'organisations graded so far' }) graded: number;
  @Field(() => Int, { description: 'how often a worker has started it; a retry resumes where the last one stopped' }) attempts: number;
  @Field(() => String, { nullable: true }) error: string | null;
}
