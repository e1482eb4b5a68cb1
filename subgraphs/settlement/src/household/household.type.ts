import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { IndicatorInput } from '../admission/application.type';
import type { Breakdown } from '../schemes/engine';

@ObjectType()
export class HouseholdApplication {
  @Field(() => ID) applicationNo: string;
  @Field({ description: 'a verified condition, or verified points at or above the scheme’s threshold' }) eligible: boolean;
  @Field(() => Date) submittedAt: Date;
  @Field(() => [String], { description: 'admission conditions claimed and verified' }) conditions: string[];
  @Field(() => [String], { description: 'admission conditions claimed' }) conditionsClaimed: string[];
  applicantId: string;
  townCode: string;
  storedStatus: 'SUBMITTED' | 'ELIGIBLE' | 'INELIGIBLE' | 'REJECTED' | 'WITHDRAWN';
  breakdown: Breakdown;
  schemeId: string;
}

@ObjectType()
export class HouseholdStage {
  @Field() stage: string;
  @Field() office: string;
  @Field(() => String, { nullable: true, description: 'YYYY-MM-DD, counted from the previous stage’s completion (projected while it is open); null when the projection reaches a year without a working-day calendar' }) dueDate: string | null;
  @Field(() => Date, { nullable: true }) completedAt: Date | null;
  @Field(() => String, { nullable: true, description: 'the day the overdue job flagged the stage to its office' }) overdueFlaggedOn: string | null;
}

@ObjectType({ description: 'a procedure stage the daily sweep found past its due date, for its office to act on' })
export class OverdueStage {
  @Field(() => ID) applicationNo: string;
  @Field() stage: string;
  @Field() office: string;
  @Field() dueDate: string;
  @Field() flaggedOn: string;
}

@InputType()
export class SubmitHouseholdApplicationInput {
  @Field(() => ID) applicantId: string;
  @Field(() => ID) townCode: string;
  @Field(() => [String], { nullable: true }) conditions?: string[] | null;
  @Field(() => [IndicatorInput]) indicators: IndicatorInput[];
  @Field(() => String, { nullable: true }) idempotencyKey?: string | null;
}

