import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';

@ObjectType()
export class RewardItem {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field(() => Int) pointsCost: number;
  @Field(() => Int) stock: number;
  @Field(() => ID) merchantId: string;
}

@ObjectType()
export class Redemption {
  @Field(() => ID) id: string;
  @Field(() => ID) cardNo: string;
  @Field(() => Int) totalPoints: number;
  @Field(() => Int) balanceAfter: number;
  @Field(() => Date) createdAt: Date;
}

@InputType()
export class RedemptionLineInput {
  @Field(() => ID) rewardId: string;
  @Field(() => Int) quantity: number;
}

@InputType()
export class RedeemInput {
  @Field(() => ID) cardNo: string;
  @Field(() => [RedemptionLineInput]) lines: RedemptionLineInput[];
  @Field() idempotencyKey: string;
}
