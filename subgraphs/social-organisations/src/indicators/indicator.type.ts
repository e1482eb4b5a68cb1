import { Field, Float, ID, InputType, Int, registerEnumType } from 'type-graphql';

export enum IndicatorCategory {
  BASIC_WORK = 'BASIC_WORK',
  POLITICAL_ORIENTATION = 'POLITICAL_ORIENTATION',
  INDUSTRY_SELF_DISCIPLINE = 'INDUSTRY_SELF_DISCIPLINE',
  SOCIAL_GOVERNANCE = 'SOCIAL_GOVERNANCE',
  LIVELIHOOD = 'LIVELIHOOD',
}
registerEnumType(IndicatorCategory, { name: 'IndicatorCategory' });

@InputType()
export class OrganisationIndicatorInput {
  @Field(() => ID) uscc: string;
  @Field(() => Int) year: number;
  @Field(() => IndicatorCategory) category: IndicatorCategory;
  @Field(() => Float) points: number;
  @Field(() => String, { nullable: true }) evidence?: string | null;
  @Field() idempotencyKey: string;
}

@InputType()
export class OrganisationViolationInput {
  @Field(() => ID) uscc: string;
  @Field(() => Int) year: number;
  @Field(() => Int, { description: "within the scheme's range, 10 to 30 by default" }) severity: number;
  @Field(() => String, { nullable: true }) note?: string | null;
  @Field() idempotencyKey: string;
}
