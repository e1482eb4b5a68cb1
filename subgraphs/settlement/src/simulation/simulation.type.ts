import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { JSONScalar, RunStatus } from '@citypoints/federation';
import { SchemeKind } from '../schemes/scheme.type';

@ObjectType({ description: 'an application whose total, rank or placement a simulated scheme changes; names masked' })
export class SimulationMover {
  @Field(() => ID) applicationNo: string;
  @Field() parentNameMasked: string;
  @Field(() => Float) totalBefore: number;
  @Field(() => Float) totalAfter: number;
  @Field(() => Int, { nullable: true }) rankBefore: number | null;
  @Field(() => Int, { nullable: true }) rankAfter: number | null;
  placementBeforeId: string | null;
  placementAfterId: string | null;
}

@ObjectType({ description: 'a school whose cut-off (lowest total placed by points) the simulated scheme changes' })
export class CutoffChange {
  schoolId: string;
  @Field(() => Float, { nullable: true }) before: number | null;
  @Field(() => Float, { nullable: true }) after: number | null;
}

@ObjectType({ description: 'what a draft scheme would do to the year’s applications; computed by a job, never changes live data' })
export class SchemeSimulation {
  @Field(() => ID) id: string;
  @Field(() => SchemeKind) kind: SchemeKind;
  @Field(() => Int) year: number;
  @Field(() => ID, { nullable: true }) townCode: string | null;
  @Field(() => RunStatus) status: RunStatus;
  @Field(() => Float, { nullable: true }) progress: number | null;
  @Field(() => String, { nullable: true }) error: string | null;
  @Field(() => Int, { nullable: true }) applications: number | null;
  @Field(() => Int, { nullable: true }) changedEligibility: number | null;
  @Field(() => Int, { nullable: true }) changedPlacement: number | null;
  @Field(() => JSONScalar, { nullable: true, description: 'histogram: points difference (after − before) → applications' }) pointChanges: Record<string, number> | null;
  /** the largest movers, most moved first (a bounded number is kept) */
  moverList: SimulationMover[];
  @Field(() => [CutoffChange]) cutoffChanges: CutoffChange[];
}
