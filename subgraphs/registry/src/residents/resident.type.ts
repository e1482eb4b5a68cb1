import { Directive, Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';

export enum HukouStatus {
  LOCAL = 'LOCAL',
  MIGRANT = 'MIGRANT',
}
registerEnumType(HukouStatus, { name: 'HukouStatus' });

/** How much of a resident a caller may see. */
export type ResidentAccess = 'full' | 'officer' | 'masked';

@Directive('@key(fields: "id")')
@ObjectType('Resident')
export class Resident {
  @Field(() => ID) id: string;
  @Field(() => ID, { nullable: true }) householdId: string | null;
  idNumberMasked: string;
  hukou: HukouStatus;
  divisionCode: string;
  fullName: string;
  birth: string;
  idNumber: string;
  access: ResidentAccess;
}

@InputType()
export class RegisterResidentInput {
  @Field() idNumber: string;
  @Field() name: string;
  @Field(() => HukouStatus) hukou: HukouStatus;
  @Field(() => ID) divisionCode: string;
  @Field(() => ID, { nullable: true }) householdId?: string | null;
}

@InputType()
export class UpdateResidentInput {
  @Field({ nullable: true }) name?: string;
  @Field(() => HukouStatus, { nullable: true }) hukou?: HukouStatus;
  @Field(() => ID, { nullable: true }) divisionCode?: string;
  @Field(() => ID, { nullable: true, description: 'empty string leaves the household' }) householdId?: string | null;
}
