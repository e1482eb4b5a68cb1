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

export enum PenaltyArea {
  GENERAL = 'GENERAL',
  WORK_SAFETY = 'WORK_SAFETY',
  FIRE_SAFETY = 'FIRE_SAFETY',
  SPECIAL_EQUIPMENT = 'SPECIAL_EQUIPMENT',
}
registerEnumType(PenaltyArea, { name: 'PenaltyArea' });

@ObjectType()
export class CreditRecord {
  @Field(() => ID) id: string;
  @Field(() => CreditRecordKind) kind: CreditRecordKind;
  @Field(() => String, { nullable: true, description: 'a free-text penalty category as the feed gave it (the area decides the rules)' }) category: string | null;
  @Field(() => PenaltyArea, { nullable: true, description: "a penalty's area; none for other kinds" }) area: PenaltyArea | null;
  @Field(() => DateScalar, { nullable: true, description: 'the first day credit repair may be decided; none for positive records' }) repairableFrom: string | null;
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
  @Field(() => PenaltyArea, { nullable: true, description: 'the area of a penalty (GENERAL when none is given); WORK_SAFETY, FIRE_SAFETY and SPECIAL_EQUIPMENT hold publicity and repair for at least a year' }) area?: PenaltyArea | null;
  @Field(() => String, { nullable: true, description: 'a free-text penalty category; WORK_SAFETY, FIRE (or FIRE_SAFETY) and SPECIAL_EQUIPMENT stand for the area when none is given' }) category?: string | null;
}
