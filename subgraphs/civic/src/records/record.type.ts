import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { DateScalar, PageInfo } from '@citypoints/federation';
import { ResidentRef } from '../residents/resident.type';

export enum RecordStatus {
  REGISTERED = 'REGISTERED',
  VILLAGE_REVIEWED = 'VILLAGE_REVIEWED',
  PUBLICISED = 'PUBLICISED',
  OBJECTED = 'OBJECTED',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
}
registerEnumType(RecordStatus, { name: 'RecordStatus' });

@ObjectType()
export class RecordStep {
  @Field() step: string;
  @Field(() => ID) actor: string;
  @Field() decision: string;
  @Field(() => String, { nullable: true }) note: string | null;
  @Field(() => Date) at: Date;
}

@ObjectType()
export class CivicRecord {
  @Field(() => ID) id: string;
  @Field(() => ResidentRef) resident: ResidentRef;
  @Field(() => Int, { description: 'the points the item gave when the record was registered' }) points: number;
  @Field(() => Int, { nullable: true, description: 'the points posted on approval, after the monthly cap and the balance floor' }) creditedPoints: number | null;
  @Field(() => GraphQLJSON, { nullable: true, description: 'how the credited points were computed, line by line, with the rules version' }) breakdown: unknown;
  @Field(() => Int, { nullable: true, description: 'the civic rules version the credited points were computed under' }) rulesVersion: number | null;
  @Field(() => RecordStatus) status: RecordStatus;
  @Field(() => DateScalar) occurredOn: string;
  @Field(() => String, { nullable: true }) evidence: string | null;
  @Field(() => ID, { nullable: true }) registeredBy: string | null;
  @Field(() => ID, { nullable: true }) reviewedBy: string | null;
  @Field(() => ID, { nullable: true }) publicisedBy: string | null;
  @Field(() => ID, { nullable: true }) approvedBy: string | null;
  @Field(() => Date, { nullable: true, description: 'when the publicity window closes; null while an objection holds it' }) publicisedUntil: Date | null;
  @Field(() => Date, { nullable: true, description: 'when an objection stopped the publicity window, while it holds' }) publicityPausedAt: Date | null;
  @Field(() => Int, { nullable: true, description: 'seconds of the window left when it stopped; they run again after a dismissal' }) publicityRemainingSeconds: number | null;
  @Field(() => ID) divisionCode: string;
  itemScope: string;
  itemCode: string;
  residentId: string;
  /** PUBLIC: what other villagers see of a record in publicity (no evidence, actors, steps or breakdown) */
  view: 'FULL' | 'PUBLIC';
}

@ObjectType()
export class CivicRecordConnection {
  @Field(() => [CivicRecord]) nodes: CivicRecord[];
  @Field(() => Int) totalCount: number;
  @Field(() => PageInfo) pageInfo: PageInfo;
}

@InputType()
export class RegisterCivicRecordInput {
  @Field(() => ID) residentId: string;
  @Field(() => ID) itemCode: string;
  @Field(() => DateScalar) occurredOn: string;
  @Field(() => String, { nullable: true }) evidence?: string | null;
  @Field() idempotencyKey: string;
}
