import { Field, ObjectType } from 'type-graphql';
import { VerificationStatus } from '../schemes/scheme.type';

@ObjectType({ description: 'an applicant’s request, during publicity, that a line be checked again, and its answer' })
export class Recheck {
  @Field() code: string;
  @Field() reason: string;
  @Field(() => Date) requestedAt: Date;
  @Field(() => Date, { nullable: true }) answeredAt: Date | null;
  @Field(() => VerificationStatus, { nullable: true }) answerStatus: VerificationStatus | null;
  @Field(() => String, { nullable: true }) answerValue: string | null;
}
