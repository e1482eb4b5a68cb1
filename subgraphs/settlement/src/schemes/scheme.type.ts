import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { JSONScalar } from '@citypoints/federation';

export enum SchemeKind {
  SCHOOL_ADMISSION = 'SCHOOL_ADMISSION',
  HOUSEHOLD_REGISTRATION = 'HOUSEHOLD_REGISTRATION',
}
registerEnumType(SchemeKind, { name: 'SchemeKind' });

export enum VerificationStatus {
  CLAIMED = 'CLAIMED',
  VERIFIED = 'VERIFIED',
  REJECTED = 'REJECTED',
}
registerEnumType(VerificationStatus, { name: 'VerificationStatus' });

@ObjectType()
export class PointsScheme {
  @Field(() => ID) id: string;
  @Field(() => SchemeKind) kind: SchemeKind;
  @Field() code: string;
  @Field(() => Int) year: number;
  @Field(() => Int) version: number;
  @Field(() => Float, { nullable: true }) threshold: number | null;
  @Field(() => JSONScalar) definition: unknown;
  @Field(() => Date, { nullable: true }) publishedAt: Date | null;
}

@ObjectType()
export class PointsLine {
  @Field() code: string;
  @Field() label: string;
  @Field(() => String, { nullable: true }) claimed: string | null;
  @Field(() => String, { nullable: true }) verified: string | null;
  @Field(() => VerificationStatus) status: VerificationStatus;
  @Field(() => Float) points: number;
  @Field() capped: boolean;
  @Field(() => String, { nullable: true, description: 'where the verified value came from: "officer", or the subgraph whose records verified it (e.g. "volunteering"); null while only claimed' })
  source?: string | null;
}

@ObjectType()
export class PointsBreakdown {
  @Field(() => Float) total: number;
  @Field() schemeCode: string;
  @Field(() => Int) schemeVersion: number;
  @Field(() => PointsScheme, { description: 'the scheme version the score was computed under, as it was published' }) scheme: PointsScheme;
  @Field(() => [PointsLine]) lines: PointsLine[];
}
