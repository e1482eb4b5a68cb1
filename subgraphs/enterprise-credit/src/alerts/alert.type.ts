import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '@citypoints/federation';
import { RiskLevel } from '../labour/labour.type';

export enum AlertStatus {
  OPEN = 'OPEN',
  ACKNOWLEDGED = 'ACKNOWLEDGED',
  RESOLVED = 'RESOLVED',
  ESCALATED = 'ESCALATED',
}
registerEnumType(AlertStatus, { name: 'AlertStatus' });

@ObjectType()
export class RiskAlert {
  @Field(() => ID) id: string;
  @Field(() => RiskLevel) level: RiskLevel;
  @Field(() => RiskLevel) previousLevel: RiskLevel;
  @Field() period: string;
  @Field(() => Int) score: number;
  @Field(() => [String]) reasons: string[];
  @Field() guidance: string;
  @Field(() => AlertStatus) status: AlertStatus;
  @Field(() => Date) raisedAt: Date;
  @Field(() => Date, { nullable: true }) acknowledgedAt: Date | null;
  @Field(() => Date, { nullable: true }) resolvedAt: Date | null;
  @Field(() => String, { nullable: true }) outcome: string | null;
  @Field(() => Date, { nullable: true }) escalatedAt: Date | null;
  @Field(() => ID) divisionCode: string;
  @Field(() => Int) schemeVersion: number;
  @Field(() => String, { description: 'LEVEL_RISE, or REPORTS_STOPPED when the reports of an enterprise at a watched level stopped' }) kind: 'LEVEL_RISE' | 'REPORTS_STOPPED';
  @Field(() => String, { nullable: true, description: 'the first month without a report, for REPORTS_STOPPED (YYYY-MM)' }) reportsStoppedSince: string | null;
  uscc: string;
}

@ObjectType()
export class RiskAlertConnection {
  @Field(() => [RiskAlert]) nodes: RiskAlert[];
  @Field(() => Int) totalCount: number;
  @Field(() => PageInfo) pageInfo: PageInfo;
}

@ObjectType()
export class AlertWebhook {
  @Field(() => ID) id: string;
  @Field() url: string;
  @Field(() => ID) divisionCode: string;
}

@ObjectType({ description: 'a webhook call that failed every attempt' })
export class WebhookDelivery {
  @Field(() => ID) id: string;
  @Field(() => RiskAlert) alert: RiskAlert;
  @Field(() => AlertWebhook) webhook: AlertWebhook;
  @Field() status: string;
  @Field(() => Int) attempts: number;
  @Field(() => String, { nullable: true }) lastError: string | null;
  @Field(() => Date, { nullable: true }) deadAt: Date | null;
}

@ObjectType()
export class WebhookDeliveryConnection {
  @Field(() => [WebhookDelivery]) nodes: WebhookDelivery[];
  @Field(() => Int) totalCount: number;
  @Field(() => PageInfo) pageInfo: PageInfo;
}
