import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ResidentRef } from '../residents/resident.type';

export enum PassbookKind {
  CIVIC = 'CIVIC',
  RED = 'RED',
  GREEN = 'GREEN',
}
registerEnumType(PassbookKind, { name: 'PassbookKind' });

@ObjectType()
export class Passbook {
  @Field(() => PassbookKind) kind: PassbookKind;
  @Field(() => Int) balance: number;
  @Field(() => Int) lifetimeEarned: number;
  @Field(() => Int) lifetimeSpent: number;
}

@ObjectType()
export class CivicCard {
  @Field(() => ID) cardNo: string;
  @Field(() => ResidentRef) resident: ResidentRef;
  @Field(() => Int, { description: "the CIVIC passbook's balance" }) balance: number;
  @Field(() => [Passbook]) passbooks: Passbook[];
  @Field(() => Date) issuedAt: Date;
  residentId: string;
  divisionCode: string;
}
