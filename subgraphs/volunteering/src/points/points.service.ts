import type { EntityManager } from 'typeorm';
import { hasRole, type Caller } from '@citypoints/auth';
import { badInput, checkIdempotencyKey, forbidden, notFound } from '@citypoints/kit';
import type { VolunteeringRuntime } from '../runtime';
import { projectedResidents } from '../residents/resident.projection';
import { schemeAt } from '../scheme/scheme.service';

/** The city's system accounts: the counterparts of issued and expired points, and the elderly pool. */
export const ISSUE_ACCOUNT = 'vol:ISSUE';
export const EXPIRED_ACCOUNT = 'vol:EXPIRED';
export const ELDERLY_POOL_ACCOUNT = 'vol:ELDERLY_POOL';

export const pointsAccountId = (residentId: string) => `vol:POINTS:${residentId}`;
export const escrowAccountId = (needId: string) => `vol:ESCROW:${needId}`;

const MAX_TRANSFER = 100_000;

export async function openSystemAccounts(rt: VolunteeringRuntime, m: EntityManager): Promise<void> {
  const l = rt.ledger;
  await l.openAccount(m, { id: ISSUE_ACCOUNT, ownerId: 'city', kind: 'VOLUNTEER_ISSUE', allowNegative: true });
  await l.openAccount(m, { id: EXPIRED_ACCOUNT, ownerId: 'city', kind: 'VOLUNTEER_EXPIRED', allowNegative: true });
  await l.openAccount(m, { id: ELDERLY_POOL_ACCOUNT, ownerId: 'city', kind: 'ELDERLY_POOL' });
}

/**
 * A resident's points account, opened on first use with the validity the scheme then in force
 * gives: every credit becomes a lot of that many months, and spending takes the oldest first.
 */
export async function ensurePointsAccount(rt: VolunteeringRuntime, m: EntityManager, residentId: string): Promise<string> {
  const id = pointsAccountId(residentId);
  if (await rt.ledger.account(m, id)) return id;
  const scheme = await schemeAt(m, rt.clock.now());
  await rt.ledger.openAccount(m, { id, ownerId: residentId, kind: 'VOLUNTEER_POINTS', policy: { expiryMonths: scheme.rules.pointValidityMonths } });
  return id;
}

export async function openEscrowAccount(rt: VolunteeringRuntime, m: EntityManager, needId: string): Promise<string> {
  const id = escrowAccountId(needId);
  await rt.ledger.openAccount(m, { id, ownerId: needId, kind: 'NEED_ESCROW' });
  return id;
}

function validTransfer(points: number, key: string): void {
  if (!Number.isInteger(points) || points < 1 || points > MAX_TRANSFER) throw badInput(`points must be a whole number from 1 to ${MAX_TRANSFER}`, { field: 'points' });
  checkIdempotencyKey(key);
}

function residentCaller(caller: Caller): string {
  if (!hasRole(caller, 'RESIDENT')) throw forbidden('only a resident gives or donates their own points');
  return caller.sub;
}

/** Points go only to a member of the giver's household, as registry's events describe it. */
export async function givePoints(rt: VolunteeringRuntime, caller: Caller, toResidentId: string, points: number, key: string): Promise<string> {
  const from = residentCaller(caller);
  validTransfer(points, key);
  if (toResidentId === from) throw badInput('points cannot be given to oneself', { field: 'toResidentId' });
  await rt.ds.transaction(async (m) => {
    const known = await projectedResidents([from, toResidentId], m);
    const giver = known.get(from);
    const receiver = known.get(toResidentId);
    if (!receiver) throw notFound('resident', toResidentId);
    if (!giver?.householdId || giver.householdId !== receiver.householdId) {
      throw forbidden('points may be given only to a member of the same household');
    }
    const fromAccount = await ensurePointsAccount(rt, m, from);
    const toAccount = await ensurePointsAccount(rt, m, toResidentId);
    await rt.ledger.post(m, {
      idempotencyKey: `give:${from}:${key}`,
      kind: 'GIFT',
      metadata: { from, to: toResidentId },
      keepExpiry: true,
      entries: [
        { accountId: fromAccount, amount: -points },
        { accountId: toAccount, amount: points },
      ],
    });
  });
  return from;
}

export async function donatePoints(rt: VolunteeringRuntime, caller: Caller, points: number, key: string): Promise<string> {
  const from = residentCaller(caller);
  validTransfer(points, key);
  await rt.ds.transaction(async (m) => {
    const fromAccount = await ensurePointsAccount(rt, m, from);
    await rt.ledger.post(m, {
      idempotencyKey: `donate:${from}:${key}`,
      kind: 'DONATION',
      metadata: { from },
      keepExpiry: true,
      entries: [
        { accountId: fromAccount, amount: -points },
        { accountId: ELDERLY_POOL_ACCOUNT, amount: points },
      ],
    });
  });
  return from;
}
