import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '@citypoints/federation';
import { DivisionRef, ResidentRef } from '../residents/resident.reference';
import { AwardLine } from '../volunteers/volunteer.type';
import { NeedStatus } from './need.rules';

export { NeedStatus };

export enum NeedCategory {
  RELIEF = 'RELIEF',
  MUTUAL_AID = 'MUTUAL_AID',
  ENVIRONMENT = 'ENVIRONMENT',
  PROFESSIONAL = 'PROFESSIONAL',
  COMPREHENSIVE = 'COMPREHENSIVE',
}

export enum VolunteerRole {
  PRIMARY = 'PRIMARY',
  BACKUP = 'BACKUP',
}

registerEnumType(NeedCategory, { name: 'NeedCategory' });
registerEnumType(NeedStatus, { name: 'NeedStatus' });
registerEnumType(VolunteerRole, { name: 'VolunteerRole' });

@ObjectType('ServiceNeedAward', { description: 'what a confirmed service earned, with the scheme version and a line-by-line breakdown' })
export class NeedAward {
  @Field(() => Float) reportedHours: number;
  @Field(() => Float) creditedHours: number;
  @Field(() => Int) points: number;
  @Field(() => Int) escrowPoints: number;
  @Field() schemeCode: string;
  @Field(() => Int) schemeVersion: number;
  @Field(() => [AwardLine]) lines: AwardLine[];
}

@ObjectType('ServiceNeedTransition', { description: 'one move of a need along its status machine' })
export class NeedTransition {
  @Field(() => NeedStatus, { nullable: true }) from: NeedStatus | null;
  @Field(() => NeedStatus) to: NeedStatus;
  @Field() actor: string;
  @Field(() => String, { nullable: true }) note: string | null;
  @Field() at: Date;
}

@ObjectType()
export class ServiceNeed {
  @Field(() => ID) id: string;
  requesterId: string;
  primaryId: string | null;
  backupId: string | null;
  divisionCode: string;
  @Field(() => ResidentRef) requester: ResidentRef;
  @Field(() => NeedCategory) category: NeedCategory;
  @Field() title: string;
  @Field(() => String, { nullable: true }) description: string | null;
  @Field(() => DivisionRef) division: DivisionRef;
  @Field() windowStart: Date;
  @Field() windowEnd: Date;
  @Field(() => NeedStatus) status: NeedStatus;
  @Field(() => ResidentRef, { nullable: true }) primary: ResidentRef | null;
  @Field(() => ResidentRef, { nullable: true }) backup: ResidentRef | null;
  hours: number | null;
  @Field(() => Int) escrowPoints: number;
  rating: number | null;
  confirmedBy: string | null;
  @Field() createdAt: Date;
  @Field(() => Date, { nullable: true }) completedAt: Date | null;
}

@ObjectType()
export class ServiceNeedConnection {
  @Field(() => [ServiceNeed]) nodes: ServiceNeed[];
  @Field(() => Int) totalCount: number;
  @Field(() => PageInfo) pageInfo: PageInfo;
}

@InputType()
export class PostNeedInput {
  @Field(() => NeedCategory) category: NeedCategory;
  @Field() title: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => ID) divisionCode: string;
  @Field() windowStart: Date;
  @Field() windowEnd: Date;
  @Field(() => Int, { nullable: true }) escrowPoints?: number | null;
  @Field() idempotencyKey: string;
}
