import { Field, ObjectType, Directive, registerEnumType } from 'type-graphql';

/** The connection pattern's page info, identical in every subgraph (so shareable). */
@Directive('@shareable')
@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage: boolean;

  @Field(() => String, { nullable: true })
  endCursor: string | null;
}

/** The status of a long job's run record (libs/jobs), as every subgraph that shows runs publishes it. */
export enum RunStatus {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
}
registerEnumType(RunStatus, { name: 'RunStatus' });
