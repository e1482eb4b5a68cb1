import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateScalar } from '@citypoints/federation';

export enum CreditStatus {
  RED = 'RED',
  NORMAL = 'NORMAL',
  WATCH = 'WATCH',
  BLACK = 'BLACK',
}
registerEnumType(CreditStatus, { name: 'CreditStatus' });

export enum RestrictedDomain {
  GOVERNMENT_PROCUREMENT = 'GOVERNMENT_PROCUREMENT',
  CONSTRUCTION = 'CONSTRUCTION',
  BIDDING = 'BIDDING',
  HEALTHCARE = 'HEALTHCARE',
}
registerEnumType(RestrictedDomain, { name: 'RestrictedDomain' });

export enum CreditRecordKind {
  PENALTY = 'PENALTY',
  SEVERE_PENALTY = 'SEVERE_PENALTY',
  DISHONEST_DEBTOR = 'DISHONEST_DEBTOR',
  WAGE_ARREARS_BLACKLIST = 'WAGE_ARREARS_BLACKLIST',
  A_TAXPAYER = 'A_TAXPAYER',
  HONOUR = 'HONOUR',
}
registerEnumType(CreditRecordKind, { name: 'CreditRecordKind' });

@ObjectType()
export class CreditRecord {
  @Field(() => ID) id: string;
  @Field(() => CreditRecordKind) kind: CreditRecordKind;
  @Field(() => String, { nullable: true, description: 'penalty category, e.g. WORK_SAFETY, FIRE, SPECIAL_EQUIPMENT' }) category: string | null;
  @Field() department: string;
  @Field(() => DateScalar) occurredOn: string;
  @Field(() => DateScalar, { nullable: true }) publicUntil: string | null;
  @Field() repaired: boolean;
  @Field(() => String, { nullable: true }) note: string | null;
  @Field(() => Int, { description: 'the credit scheme version the period was set under' }) schemeVersion: number;
  uscc: string;
}

@ObjectType()
export class EnterpriseCredit {
  @Field(() => CreditStatus) status: CreditStatus;
  @Field(() => [CreditRecord]) records: CreditRecord[];
  @Field(() => [RestrictedDomain]) restrictions: RestrictedDomain[];
  @Field(() => [String]) incentives: string[];
  @Field(() => Date, { nullable: true }) since: Date | null;
}

@ObjectType()
export class CreditCheck {
  @Field(() => ID) uscc: string;
  @Field(() => RestrictedDomain) domain: RestrictedDomain;
  @Field() allowed: boolean;
  @Field(() => CreditStatus) status: CreditStatus;
  @Field(() => [String]) reasons: string[];
}

@ObjectType()
export class CreditListPublication {
  @Field(() => ID) id: string;
  @Field() period: string;
  @Field(() => Date) publishedAt: Date;
  redUsccs: string[];
  blackUsccs: string[];
}

@InputType()
export class CreditRecordInput {
  @Field(() => ID) uscc: string;
  @Field(() => CreditRecordKind) kind: CreditRecordKind;
  @Field(() => DateScalar) occurredOn: string;
  @Field(() => Int, { nullable: true }) publicMonths?: number | null;
  @Field(() => String, { nullable: true }) note?: string | null;
  @Field() idempotencyKey: string;
  @Field(() => String, { nullable: true, description: 'penalty category; WORK_SAFETY, FIRE and SPECIAL_EQUIPMENT raise the minimum period' }) category?: string | null;
}
