import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { OrganisationGrade } from '../grading/grading.type';

export enum OrganisationCreditPurpose {
  GOVERNMENT_COMMISSIONED_WORK = 'GOVERNMENT_COMMISSIONED_WORK',
  GOVERNMENT_FUNDING = 'GOVERNMENT_FUNDING',
  PUBLIC_WELFARE_BIDDING = 'PUBLIC_WELFARE_BIDDING',
  GOVERNMENT_PURCHASE_OF_SERVICES = 'GOVERNMENT_PURCHASE_OF_SERVICES',
}
registerEnumType(OrganisationCreditPurpose, { name: 'OrganisationCreditPurpose' });

@ObjectType()
export class OrganisationCreditCheck {
  @Field(() => ID) uscc: string;
  @Field(() => OrganisationCreditPurpose) purpose: OrganisationCreditPurpose;
  @Field(() => Int, { nullable: true, description: 'the graded year the verdict rests on' }) year: number | null;
  @Field(() => OrganisationGrade, { nullable: true }) grade: OrganisationGrade | null;
  @Field() allowed: boolean;
  @Field({ description: 'to be preferred for this purpose' }) priority: boolean;
  @Field(() => [String]) reasons: string[];
  @Field(() => String, { nullable: true }) schemeCode: string | null;
  @Field(() => Int, { nullable: true }) schemeVersion: number | null;
}
