import { hasRole, isCityAdmin, requireRole, type Caller } from '@citypoints/auth';
import { isUuid, notFound } from '@citypoints/kit';
import { SCHEMA } from '../context';
import type { CivicRuntime } from '../runtime';
import { REDEMPTION_COLUMNS, toRedemption } from '../rewards/reward.service';
import type { Redemption } from '../rewards/reward.type';

/**
 * A redemption as it stands (a VOLUNTEER one may still be PENDING). The card's holder sees it
 * with the balance it left; the caller who redeemed it (a merchant with the holder's code) sees
 * it without; anyone else is told it does not exist, as for an unknown id.
 */
export async function redemptionById(rt: CivicRuntime, c: Caller | null, id: string): Promise<Redemption> {
  const caller = requireRole(c, 'RESIDENT', 'MERCHANT');
  if (!isUuid(id)) throw notFound('redemption', id);
  const rows = await rt.ds.query(
    `SELECT ${REDEMPTION_COLUMNS.split(', ').map((col) => `r.${col}`).join(', ')}, r.redeemed_by, c.resident_id AS holder_id
       FROM "${SCHEMA}".redemptions r JOIN "${SCHEMA}".cards c ON c.card_no = r.card_no WHERE r.id = $1`,
    [id.toLowerCase()],
  );
  const row = rows[0];
  const asHolder = !!row && hasRole(caller, 'RESIDENT') && row.holder_id === caller.sub;
  if (!row || !(asHolder || row.redeemed_by === caller.sub || isCityAdmin(caller))) throw notFound('redemption', id);
  return toRedemption(row, asHolder || isCityAdmin(caller));
}
