import { RunStatus } from '@citypoints/federation';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum RiskLevel {
  NORMAL = 'NORMAL',
  PROBLEM = 'PROBLEM',
  RISK = 'RISK',
  DANGER = 'DANGER',
  CRITICAL = 'CRITICAL',
}
registerEnumType(RiskLevel, { name: 'RiskLevel' });


@ObjectType()
export class LabourIndicators {
  @Field() period: string;
  @Field(() => Int) wageArrearsDays: number;
  @Field(() => Int) workersOwed: number;
  @Field(() => Float) arrearsAmount: number;
  @Field(() => Int) payCycleDays: number;
  @Field(() => Int) rentArrearsMonths: number;
  @Field(() => Float) electricityRatio: number;
  @Field(() => Int) socialInsuranceArrearsMonths: number;
  @Field(() => Int) taxArrearsMonths: number;
  @Field(() => Int) petitions: number;
  @Field() groupIncident: boolean;
}

@ObjectType()
export class LabourRisk {
  @Field(() => RiskLevel) level: RiskLevel;
  @Field(() => Int) score: number;
  @Field() period: string;
  @Field(() => [String]) reasons: string[];
  @Field() guidance: string;
  @Field(() => LabourIndicators, { nullable: true }) indicators: LabourIndicators | null;
  @Field(() => Date, { nullable: true }) since: Date | null;
  @Field({ description: 'the labour-risk scheme the score was computed under' }) schemeCode: string;
  @Field(() => Int, { description: 'the labour-risk scheme version the score was computed under' }) schemeVersion: number;
  @Field({ description: 'no report for the month scored: the level is that of the last report' }) stale: boolean;
  @Field(() => String, { nullable: true, description: 'the last month the enterprise was reported for' }) lastReportedPeriod: string | null;
}

@ObjectType()
export class ScoringRun {
  @Field(() => ID) id: string;
  @Field() period: string;
  @Field(() => ID, { nullable: true, description: 'the division the run scored; none for the whole city' }) divisionCode: string | null;
  @Field(() => RunStatus) status: RunStatus;
  @Field(() => Float, { nullable: true }) progress: number | null;
  @Field(() => Int, { nullable: true }) scored: number | null;
  @Field(() => Int, { nullable: true }) alertsRaised: number | null;
  @Field(() => String, { nullable: true }) error: string | null;
}

@InputType()
export class LabourIndicatorsInput {
  @Field(() => ID) uscc: string;
  @Field() period: string;
  @Field(() => Int) wageArrearsDays: number;
  @Field(() => Int) workersOwed: number;
  @Field(() => Float) arrearsAmount: number;
  @Field(() => Int) payCycleDays: number;
  @Field(() => Int) rentArrearsMonths: number;
  @Field(() => Float) electricityRatio: number;
  @Field(() => Int) socialInsuranceArrearsMonths: number;
  @Field(() => Int) taxArrearsMonths: number;
  @Field(() => Int) petitions: number;
  @Field() groupIncident: boolean;
  @Field() source: string;
}

export { RunStatus };
