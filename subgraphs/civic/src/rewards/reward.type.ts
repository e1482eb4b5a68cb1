import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { PointsKind, RedemptionStatus } from '../exchange/exchange.type';

@ObjectType()
export class RewardItem {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field(() => Int) pointsCost: number;
  @Field(() => Int) stock: number;
  @Field(() => ID) merchantId: string;
  @Field(() => PointsKind, { description: 'VOLUNTEER: paid from the volunteering ledger' }) pointsKind: PointsKind;
}

@ObjectType()
export class Redemption {
  @Field(() => ID) id: string;
  @Field(() => ID) cardNo: string;
  @Field(() => Int) totalPoints: number;
  @Field(() => Int, { nullable: true, description: "the card's balance after the redemption; null for a caller who may not see the holder's balance (a merchant)" })
  balanceAfter: number | null;
  @Field(() => Date) createdAt: Date;
  @Field(() => PointsKind) pointsKind: PointsKind;
  @Field(() => RedemptionStatus, { description: 'a VOLUNTEER redemption is PENDING until volunteering has debited the points (COMPLETED) or refused (FAILED, the stock released)' })
  status: RedemptionStatus;
  @Field(() => String, { nullable: true, description: 'why a FAILED redemption failed: INSUFFICIENT_POINTS, or ABANDONED (pending too long, given up before the points were taken)' })
  failure: string | null;
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
  @Field(() => String, { nullable: true, description: "the one-time code the card's holder issued; required when the caller is not the holder" })
  holderCode?: string | null;
}

@ObjectType({ description: 'a one-time code the holder gives a merchant to redeem once on their card' })
export class RedemptionCode {
  @Field() code: string;
  @Field(() => ID) cardNo: string;
  @Field(() => Date) expiresAt: Date;
}

@ObjectType({ description: 'a points supermarket and the town it is registered with' })
export class Merchant {
  @Field(() => ID) id: string;
  @Field(() => ID) townCode: string;
  @Field() name: string;
}
