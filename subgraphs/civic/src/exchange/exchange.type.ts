import { registerEnumType } from 'type-graphql';

/** Which points a reward item takes: the civic card's, or the volunteering time bank's. */
export enum PointsKind {
  CIVIC = 'CIVIC',
  VOLUNTEER = 'VOLUNTEER',
}
registerEnumType(PointsKind, { name: 'PointsKind', description: 'VOLUNTEER: paid from the volunteering ledger' });

/**
 * A CIVIC redemption completes in its own transaction. A VOLUNTEER redemption is PENDING while
 * volunteering debits the points, then COMPLETED, or FAILED with its stock released.
 */
export enum RedemptionStatus {
  PENDING = 'PENDING',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
}
registerEnumType(RedemptionStatus, { name: 'RedemptionStatus' });
