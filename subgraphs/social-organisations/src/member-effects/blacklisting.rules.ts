/**
 * When a member enterprise's turn to BLACK stops costing its organisations 10 points
 * (docs/domain/07-social-organisations.md): only when a credit repair lifts it. A blacklisting
 * that merely expires keeps its line.
 */

export const BLACK = 'BLACK';

/** Why enterprise-credit's status left BLACK, as its `status.changed` event says. */
export type LiftCause = 'REPAIR' | 'EXPIRY';

export interface StatusTurn {
  previous: string | null;
  status: string;
  changedAt: Date;
  /** the event's `cause`; null when the producer did not say */
  cause: string | null;
  /** when the producer wrote the event (its outbox time) */
  eventAt: Date;
}

/**
 * How close a repair's event must be to a lift's for an unexplained lift to count as the
 * repair's: enterprise-credit writes both in the one transaction that decides the repair.
 */
export const REPAIR_PAIRING_MS = 2_000;

export const isTurnToBlack = (t: { previous?: string | null; status: string }) => t.status === BLACK && t.previous !== BLACK;
export const isLift = (t: { previous?: string | null; status: string }) => t.previous === BLACK && t.status !== BLACK;

/**
 * Whether a lift was a repair. The event's `cause` decides when it carries one; an event without
 * it (a producer before the field) counts as a repair only when a `record.repaired` event of the
 * same enterprise was written in the same transaction, just before it.
 */
export function isRepairLift(lift: StatusTurn, repairEventTimes: readonly Date[]): boolean {
  if (lift.cause != null) return lift.cause === 'REPAIR';
  const at = lift.eventAt.getTime();
  return repairEventTimes.some((r) => r.getTime() <= at && at - r.getTime() <= REPAIR_PAIRING_MS);
}

/**
 * When the line of the turn to BLACK `turn` is removed: at the first lift after it, when that
 * lift was a repair; never when it was an expiry (the next turn to BLACK is a line of its own).
 */
export function blacklistingRemovedAt(turn: StatusTurn, turns: readonly StatusTurn[], repairEventTimes: readonly Date[]): Date | null {
  const lift = turns.filter((l) => isLift(l) && l.changedAt > turn.changedAt).sort((a, b) => a.changedAt.getTime() - b.changedAt.getTime())[0];
  return lift && isRepairLift(lift, repairEventTimes) ? lift.changedAt : null;
}
