import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { PassbookKind } from '../cards/card.type';

@ObjectType()
export class BehaviourItem {
  @Field(() => ID) code: string;
  @Field() label: string;
  @Field() category: string;
  @Field(() => Int) points: number;
  @Field(() => Int, { nullable: true }) monthlyCap: number | null;
  @Field(() => ID, { nullable: true, description: 'the town whose list it belongs to; null for a city-wide item' }) divisionCode: string | null;
  @Field(() => PassbookKind, { description: 'the passbook its points go to (from its category)' }) passbook: PassbookKind;
  @Field(() => Int) version: number;
  scope: string;
}

@InputType()
export class DefineBehaviourItemInput {
  @Field(() => ID) code: string;
  @Field() label: string;
  @Field() category: string;
  @Field(() => Int) points: number;
  @Field(() => Int, { nullable: true }) monthlyCap?: number | null;
  @Field(() => ID, { nullable: true }) divisionCode?: string | null;
}
