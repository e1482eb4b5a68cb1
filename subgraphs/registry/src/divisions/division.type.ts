import { Directive, Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';

export enum DivisionLevel {
  CITY = 'CITY',
  TOWN = 'TOWN',
  VILLAGE = 'VILLAGE',
}
registerEnumType(DivisionLevel, { name: 'DivisionLevel' });

@Directive('@key(fields: "code")')
@ObjectType('Division')
export class Division {
  @Field(() => ID) code: string;
  @Field() name: string;
  @Field(() => DivisionLevel) level: DivisionLevel;
  parentCode: string | null;
}

@InputType()
export class CreateDivisionInput {
  @Field(() => ID) code: string;
  @Field() name: string;
  @Field(() => DivisionLevel) level: DivisionLevel;
  @Field(() => ID, { nullable: true }) parentCode?: string | null;
}
