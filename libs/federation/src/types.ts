import { Field, ObjectType, Directive } from 'type-graphql';

/** The connection pattern's page info, identical in every subgraph (so shareable). */
@Directive('@shareable')
@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage: boolean;

  @Field(() => String, { nullable: true })
  endCursor: string | null;
}
