/** One line of how a record's credited points came about. */
export interface CreditLine {
  rule: 'ITEM_POINTS' | 'MONTHLY_CAP' | 'BALANCE_FLOOR';
  detail: string;
  points: number;
}

export interface CreditInput {
  requested: number;
  /** the item's cap on the points a resident gets from it in a month (in absolute value); null: none */
  monthlyCap: number | null;
  /** points already credited from this item to this resident in the record's month (signed) */
  creditedThisMonth: number;
  /** the passbook's balance, when it may not go below 0; null when it may */
  floorBalance: number | null;
}

/**
 * The points a record posts on approval: the item's points, clipped to what the monthly cap
 * leaves (a cap bounds deductions as it bounds awards), then a deduction clipped to the balance
 * of a passbook that may not go negative. Each step is a line, so the result explains itself.
 */
export function creditFor(i: CreditInput): { points: number; lines: CreditLine[] } {
  const lines: CreditLine[] = [{ rule: 'ITEM_POINTS', detail: `item points ${i.requested}`, points: i.requested }];
  const sign = Math.sign(i.requested);
  let points = i.requested;
  if (i.monthlyCap !== null) {
    const used = Math.max(0, sign * i.creditedThisMonth);
    const room = Math.max(0, i.monthlyCap - used);
    if (Math.abs(points) > room) {
      points = sign * room;
      lines.push({ rule: 'MONTHLY_CAP', detail: `monthly cap ${i.monthlyCap}, ${used} used this month, ${room} left`, points });
    }
  }
  if (i.floorBalance !== null && points < 0 && i.floorBalance + points < 0) {
    points = -Math.max(0, i.floorBalance);
    lines.push({ rule: 'BALANCE_FLOOR', detail: `balance ${i.floorBalance} may not go below 0`, points });
  }
  return { points: points === 0 ? 0 : points, lines };
}
