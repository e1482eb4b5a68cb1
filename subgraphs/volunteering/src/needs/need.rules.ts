import { invalidState } from '@citypoints/kit';

export enum NeedStatus {
  OPEN = 'OPEN',
  TAKEN = 'TAKEN',
  IN_SERVICE = 'IN_SERVICE',
  COMPLETED = 'COMPLETED',
  CONFIRMED = 'CONFIRMED',
  CANCELLED = 'CANCELLED',
  EXPIRED = 'EXPIRED',
}

/**
 * The status machine of a need. TAKEN → TAKEN is a change of hands (a backup joins, or takes
 * over from a primary who gave up or did not start); TAKEN → OPEN is a primary giving up with no
 * backup to take over. Final states move nowhere.
 */
export const TRANSITIONS: Readonly<Record<NeedStatus, readonly NeedStatus[]>> = {
  OPEN: [NeedStatus.TAKEN, NeedStatus.CANCELLED, NeedStatus.EXPIRED],
  TAKEN: [NeedStatus.TAKEN, NeedStatus.OPEN, NeedStatus.IN_SERVICE, NeedStatus.CANCELLED, NeedStatus.EXPIRED],
  IN_SERVICE: [NeedStatus.COMPLETED],
  COMPLETED: [NeedStatus.CONFIRMED],
  CONFIRMED: [],
  CANCELLED: [],
  EXPIRED: [],
};

export const canMove = (from: NeedStatus, to: NeedStatus) => TRANSITIONS[from].includes(to);

export function assertMove(from: NeedStatus, to: NeedStatus, action: string): void {
  if (!canMove(from, to)) throw invalidState(`a need that is ${from} cannot be moved to ${to} (${action})`, { from, to });
}
