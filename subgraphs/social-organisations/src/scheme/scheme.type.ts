import { Field, ID, Int, ObjectType } from 'type-graphql';
import { JSONScalar } from '@citypoints/federation';

@ObjectType()
export class OrganisationGradingScheme {
  @Field(() => ID) id: string;
  @Field() code: string;
  @Field(() => Int) version: number;
  @Field(() => Int) effectiveFromYear: number;
  @Field(() => JSONScalar, { description: 'caps, grade boundaries, member effects, reward places, exit threshold, credit rules' }) definition: unknown;
  @Field() publishedAt: Date;
}
