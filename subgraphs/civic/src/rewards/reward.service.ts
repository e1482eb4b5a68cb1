import { createHash, randomUUID } from 'node:crypto';
import { canReachDivision, hasRole, isCityAdmin, requireRole, requireRoleIn, type Caller } from '@citypoints/auth';
import { badInput, conflict, divisionLevelOf, DomainError, forbidden, isUuid, notFound } from '@citypoints/kit';
import { SCHEMA } from '../context';
import type { CivicRuntime } from '../runtime';
import { cardByNo, merchantAccount, passbookAccount } from '../cards/card.service';
import { PassbookKind } from '../cards/card.type';
import { Merchant, Redemption, RewardItem, type RedeemInput } from './reward.type';
import { isCode, matchingCode } from './redemption-code.service';
import { callerKeyLock, validKey } from '../idempotency';
import { PointsKind, RedemptionStatus } from '../exchange/exchange.type';
import { reserveVolunteerRedemption } from '../exchange/volunteer-redemption';
import { INSUFFICIENT_POINTS } from '@citypoints/ledger';
import { OUT_OF_STOCK } from '../errors';

interface RewardRow {
  id: string;
  merchant_id: string;
  name: string;
  points_cost: number;
  stock: number;
  points_kind: PointsKind;
}

const toReward = (r: RewardRow): RewardItem => Object.assign(new RewardItem(), { id: r.id, name: r.name, pointsCost: r.points_cost, stock: r.stock, merchantId: r.merchant_id, pointsKind: r.points_kind });

interface MerchantRow {
  merchant_id: string;
  town_code: string;
  name: string;
}

const toMerchant = (r: MerchantRow): Merchant => Object.assign(new Merchant(), { id: r.merchant_id, townCode: r.town_code, name: r.name });

const MERCHANT_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const MAX_QUANTITY = 1000;
const MAX_LINES = 50;

export async function listRewards(rt: CivicRuntime, merchantId: string | null | undefined): Promise<RewardItem[]> {
  const rows: RewardRow[] = await rt.ds.query(
    `SELECT id, merchant_id, name, points_cost, stock, points_kind FROM "${SCHEMA}".reward_items WHERE ($1::text IS NULL OR merchant_id = $1) ORDER BY merchant_id, name, id`,
    [merchantId ?? null],
  );
  return rows.map(toReward);
}

/** Merchants registered with a town: a town official stocks only the shelves of its own town's merchants. */
export async function registerMerchant(rt: CivicRuntime, c: Caller | null, merchantId: string, townCode: string, name: string): Promise<Merchant> {
  const caller = requireRole(c, 'TOWN_OFFICIAL');
  if (!MERCHANT_ID.test(merchantId ?? '')) throw badInput('merchantId must be 1 to 64 letters, digits or _.:-', { field: 'merchantId' });
  if (divisionLevelOf(townCode) !== 'TOWN') throw badInput('a merchant is registered with a town (9-digit code)', { field: 'townCode' });
  requireRoleIn(caller, townCode, 'TOWN_OFFICIAL');
  const n = (name ?? '').trim();
  if (n.length < 1 || n.length > 100) throw badInput('name must have 1 to 100 characters', { field: 'name' });
  return rt.ds.transaction(async (m) => {
    const prior: MerchantRow[] = await m.query(`SELECT merchant_id, town_code, name FROM "${SCHEMA}".merchants WHERE merchant_id = $1 FOR UPDATE`, [merchantId]);
    // moving a merchant is for an official who reaches both towns
    if (prior.length && !canReachDivision(caller, prior[0].town_code)) throw forbidden('this merchant is registered with another town');
    const rows: MerchantRow[] = await m.query(
      `INSERT INTO "${SCHEMA}".merchants (merchant_id, town_code, name, registered_by, registered_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (merchant_id) DO UPDATE SET town_code = EXCLUDED.town_code, name = EXCLUDED.name, registered_by = EXCLUDED.registered_by, registered_at = EXCLUDED.registered_at
       RETURNING merchant_id, town_code, name`,
      [merchantId, townCode, n, caller.sub, rt.clock.now()],
    );
    await rt.ledger.openAccount(m, { id: merchantAccount(merchantId), ownerId: merchantId, kind: 'MERCHANT' });
    return toMerchant(rows[0]);
  });
}

/** A merchant stocks its own shelf; a town official the shelves of merchants registered with its town; the city any. */
export async function defineReward(
  rt: CivicRuntime,
  c: Caller | null,
  name: string,
  pointsCost: number,
  stock: number,
  merchantId: string,
  pointsKind: PointsKind = PointsKind.CIVIC,
): Promise<RewardItem> {
  const caller = requireRole(c, 'MERCHANT', 'TOWN_OFFICIAL');
  const ownShelf = hasRole(caller, 'MERCHANT') && caller.sub === merchantId;
  if (!isCityAdmin(caller) && !ownShelf && !hasRole(caller, 'TOWN_OFFICIAL')) throw forbidden('a merchant stocks only its own points supermarket');
  const n = (name ?? '').trim();
  if (n.length < 1 || n.length > 100) throw badInput('name must have 1 to 100 characters', { field: 'name' });
  if (!Number.isInteger(pointsCost) || pointsCost < 1 || pointsCost > 1_000_000) throw badInput('pointsCost must be a whole number from 1 to 1000000', { field: 'pointsCost' });
  if (!Number.isInteger(stock) || stock < 0 || stock > 1_000_000) throw badInput('stock must be a whole number from 0 to 1000000', { field: 'stock' });
  if (!MERCHANT_ID.test(merchantId ?? '')) throw badInput('merchantId must be 1 to 64 letters, digits or _.:-', { field: 'merchantId' });
  if (!Object.values(PointsKind).includes(pointsKind)) throw badInput('pointsKind must be CIVIC or VOLUNTEER', { field: 'pointsKind' });
  return rt.ds.transaction(async (m) => {
    if (!isCityAdmin(caller) && !ownShelf) {
      const registered: MerchantRow[] = await m.query(`SELECT merchant_id, town_code, name FROM "${SCHEMA}".merchants WHERE merchant_id = $1`, [merchantId]);
      // one answer whether the merchant is unknown or another town's
      if (!registered.length || !requireRoleInQuietly(caller, registered[0].town_code)) throw forbidden('a town official stocks only merchants registered with its town');
    }
    await rt.ledger.openAccount(m, { id: merchantAccount(merchantId), ownerId: merchantId, kind: 'MERCHANT' });
    const rows: RewardRow[] = await m.query(
      `INSERT INTO "${SCHEMA}".reward_items (merchant_id, name, points_cost, stock, created_at, points_kind) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING id, merchant_id, name, points_cost, stock, points_kind`,
      [merchantId, n, pointsCost, stock, rt.clock.now(), pointsKind],
    );
    return toReward(rows[0]);
  });
}

const requireRoleInQuietly = (caller: Caller, townCode: string) => hasRole(caller, 'TOWN_OFFICIAL') && canReachDivision(caller, townCode);

interface RedemptionRow {
  id: string;
  card_no: string;
  request_hash: string;
  total_points: number;
  balance_after: number | null;
  holder_code_id: string | null;
  created_at: Date;
  points_kind: PointsKind;
  status: RedemptionStatus;
  failure: string | null;
}

export const REDEMPTION_COLUMNS = 'id, card_no, request_hash, total_points, balance_after, holder_code_id, created_at, points_kind, status, failure';

/** The holder sees the balance their redemption left; a merchant does not (docs/domain/09-access.md). */
export const toRedemption = (r: RedemptionRow, showBalance: boolean): Redemption =>
  Object.assign(new Redemption(), {
    id: r.id,
    cardNo: r.card_no,
    totalPoints: r.total_points,
    balanceAfter: showBalance ? r.balance_after : null,
    createdAt: r.created_at,
    pointsKind: r.points_kind,
    status: r.status,
    failure: r.failure,
  });

function validLines(input: RedeemInput): Map<string, number> {
  if (!Array.isArray(input.lines) || input.lines.length < 1 || input.lines.length > MAX_LINES) throw badInput(`a redemption has 1 to ${MAX_LINES} lines`, { field: 'lines' });
  const lines = new Map<string, number>();
  for (const l of input.lines) {
    if (!isUuid(l.rewardId)) throw notFound('reward item', l.rewardId);
    if (!Number.isInteger(l.quantity) || l.quantity < 1 || l.quantity > MAX_QUANTITY) throw badInput(`quantity must be a whole number from 1 to ${MAX_QUANTITY}`, { field: 'quantity' });
    lines.set(l.rewardId.toLowerCase(), (lines.get(l.rewardId.toLowerCase()) ?? 0) + l.quantity);
  }
  return lines;
}

/** The refusal of every redemption without the holder's consent: the same whether the card exists or not. */
const noConsent = () => forbidden("a redemption needs the holder's valid redemption code for this card");

/**
 * Takes the points and the stock in one transaction, with the holder's consent (docs/domain/04-civic-cards.md):
 * the holder redeems on their own card; anyone else (a merchant, at its own shelf) only with a
 * live one-time code the holder issued for this card, which this redemption spends. The reward
 * rows are locked in id order, so concurrent redemptions queue instead of deadlocking; the
 * ledger posts the card's debit (refusing an overdraft), then the stock falls. A retry by the
 * same caller with the same key finds the first redemption and returns it, moving nothing.
 *
 * VOLUNTEER items: the transaction reserves the stock and commits (the saga's first step), then
 * the redeem waits — until `options.redeemWaitMs` after it began, holding no connection or lock — for
 * volunteering's decision and answers the outcome: COMPLETED, or INSUFFICIENT_POINTS (the
 * redemption FAILED, its stock released); PENDING only when no decision came in time. A retry
 * with the same key answers the redemption's outcome the same way (waiting again while pending).
 */
export async function redeem(rt: CivicRuntime, c: Caller | null, input: RedeemInput): Promise<Redemption> {
  const caller = requireRole(c, 'RESIDENT', 'MERCHANT');
  const key = validKey(input.idempotencyKey);
  const lines = validLines(input);
  const hash = createHash('sha256').update(JSON.stringify([...lines.entries()].sort())).digest('hex');
  // the bound is on the whole answer at the till (wall time): a reservation that queued behind
  // others for the stock leaves less time to wait for the decision
  const answerBy = Date.now() + rt.options.redeemWaitMs;
  const taken = await redeemInTransaction(rt, caller, input, key, lines, hash);
  return taken.row.points_kind === PointsKind.VOLUNTEER ? volunteerOutcome(rt, taken.row, taken.showBalance, answerBy) : toRedemption(taken.row, taken.showBalance);
}

const redemptionRow = async (rt: CivicRuntime, id: string): Promise<RedemptionRow> =>
  (await rt.ds.query(`SELECT ${REDEMPTION_COLUMNS} FROM "${SCHEMA}".redemptions WHERE id = $1`, [id]))[0];

/**
 * The answer to a redeem of VOLUNTEER items, once its reservation has committed: waits (bounded)
 * while the redemption is pending, then answers it — or refuses with INSUFFICIENT_POINTS when
 * volunteering refused for want of points (the stock already released).
 */
async function volunteerOutcome(rt: CivicRuntime, row: RedemptionRow, showBalance: boolean, answerBy: number): Promise<Redemption> {
  let current = row;
  if (current.status === RedemptionStatus.PENDING && rt.options.redeemWaitMs > 0) {
    await rt.notices.waitFor(
      row.id,
      async () => {
        current = await redemptionRow(rt, row.id);
        return current.status !== RedemptionStatus.PENDING;
      },
      answerBy,
      rt.options.redeemPollMs,
    );
  }
  if (current.status === RedemptionStatus.FAILED && current.failure === INSUFFICIENT_POINTS) {
    throw new DomainError(INSUFFICIENT_POINTS, 'not enough volunteer points: nothing was redeemed', { redemptionId: current.id, required: current.total_points });
  }
  return toRedemption(current, showBalance);
}

interface Taken {
  row: RedemptionRow;
  showBalance: boolean;
}

/** The redeem's one transaction: consent, the key, the stock, and the points (CIVIC) or the reservation (VOLUNTEER). */
async function redeemInTransaction(rt: CivicRuntime, caller: Caller, input: RedeemInput, key: string, lines: Map<string, number>, hash: string): Promise<Taken> {
  return rt.ds.transaction(async (m): Promise<Taken> => {
    // the card, and the lock of the caller's key taken in the same statement (when the card exists:
    // without one the request is refused below); what the key already did is read after it
    const card = await cardByNo(rt, m, input.cardNo, callerKeyLock('redeem', caller.sub, key));
    const asHolder = !!card && hasRole(caller, 'RESIDENT') && caller.sub === card.resident_id;
    if (!asHolder && (!card || !(hasRole(caller, 'MERCHANT') || isCityAdmin(caller)))) throw noConsent();
    // one statement: the key's earlier redemption, and — unless the holder redeems — the card's
    // live codes, locked in id order until the transaction ends so two redemptions cannot both spend one
    const found: { kind: 'redemption' | 'code'; id: string; code_hash: string }[] = await m.query(
      `SELECT 'redemption' AS kind, id::text AS id, NULL::text AS code_hash FROM "${SCHEMA}".redemptions WHERE redeemed_by = $1 AND idempotency_key = $2
       UNION ALL
       SELECT 'code', k.id::text, k.code_hash FROM (SELECT id, code_hash FROM "${SCHEMA}".redemption_codes WHERE $5 AND card_no = $3 AND used_at IS NULL AND expires_at > $4 ORDER BY id FOR UPDATE) k`,
      [caller.sub, key, card!.card_no, rt.clock.now(), !asHolder],
    );
    const prior = found.find((r) => r.kind === 'redemption');
    const existing: RedemptionRow[] = prior ? await m.query(`SELECT ${REDEMPTION_COLUMNS} FROM "${SCHEMA}".redemptions WHERE id = $1`, [prior.id]) : [];
    // consent is checked for a replay as for a first request: the replay of a redemption a code
    // paid for may show that (spent) code again
    let codeId: string | null = null;
    if (!asHolder) {
      codeId = matchingCode(
        found.filter((r) => r.kind === 'code'),
        input.holderCode,
      );
      const replayConsent = !codeId && existing.length === 1 && existing[0].holder_code_id !== null && (await isCode(m, existing[0].holder_code_id, input.holderCode));
      if (!codeId && !replayConsent) throw noConsent();
    }
    const showBalance = asHolder || isCityAdmin(caller);
    if (existing.length) {
      if (existing[0].card_no !== card!.card_no || existing[0].request_hash !== hash) throw conflict('idempotencyKey was already used for a different redemption', { field: 'idempotencyKey' });
      return { row: existing[0], showBalance };
    }
    const rewards: RewardRow[] = await m.query(
      `SELECT id, merchant_id, name, points_cost, stock, points_kind FROM "${SCHEMA}".reward_items WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [[...lines.keys()]],
    );
    const byId = new Map(rewards.map((r) => [r.id, r]));
    for (const id of lines.keys()) if (!byId.has(id)) throw notFound('reward item', id);
    if (!asHolder && !isCityAdmin(caller) && rewards.some((r) => r.merchant_id !== caller.sub)) throw forbidden('a merchant redeems only its own reward items');
    const short = rewards.filter((r) => r.stock < lines.get(r.id)!);
    if (short.length) {
      throw new DomainError(OUT_OF_STOCK, 'not enough stock', { items: short.map((r) => ({ rewardId: r.id, stock: r.stock, requested: lines.get(r.id) })) });
    }
    const perMerchant = new Map<string, number>();
    let total = 0;
    for (const r of rewards) {
      const points = r.points_cost * lines.get(r.id)!;
      total += points;
      perMerchant.set(r.merchant_id, (perMerchant.get(r.merchant_id) ?? 0) + points);
    }
    const redemptionId = randomUUID();
    const kinds = new Set(rewards.map((r) => r.points_kind));
    if (kinds.size > 1) throw badInput('a redemption pays in one kind of points: redeem CIVIC and VOLUNTEER items apart', { field: 'lines' });
    if (kinds.has(PointsKind.VOLUNTEER)) {
      // volunteer points: the stock is reserved here and the points asked of volunteering (one saga)
      await reserveVolunteerRedemption(rt, m, {
        redemptionId,
        cardNo: card!.card_no,
        residentId: card!.resident_id,
        idempotencyKey: key,
        requestHash: hash,
        redeemedBy: caller.sub,
        holderCodeId: codeId,
        lines,
        totalPoints: total,
      });
      const rows: RedemptionRow[] = await m.query(`SELECT ${REDEMPTION_COLUMNS} FROM "${SCHEMA}".redemptions WHERE id = $1`, [redemptionId]);
      return { row: rows[0], showBalance };
    }
    const cardAccount = passbookAccount(PassbookKind.CIVIC, card!.resident_id);
    const posted = await rt.ledger
      .post(m, {
        idempotencyKey: `civic:redeem:${redemptionId}`,
        kind: 'REDEMPTION',
        metadata: { cardNo: card!.card_no, redemptionId },
        entries: [{ accountId: cardAccount, amount: -total }, ...[...perMerchant].map(([merchant, points]) => ({ accountId: merchantAccount(merchant), amount: points }))],
      })
      .catch((e: unknown) => {
        // the ledger names the balance it fell short of: only the holder may learn it
        if (!showBalance && e instanceof DomainError && e.code === INSUFFICIENT_POINTS) throw new DomainError(INSUFFICIENT_POINTS, 'not enough points', { required: total });
        throw e;
      });
    // the stock, the spent code, the redemption and its lines: one statement
    const now = rt.clock.now();
    const rows: RedemptionRow[] = await m.query(
      `WITH s AS (
         UPDATE "${SCHEMA}".reward_items r SET stock = r.stock - x.qty FROM unnest($11::uuid[], $12::int[]) AS x(id, qty) WHERE r.id = x.id
         RETURNING r.id, x.qty, r.points_cost
       ), c AS (
         UPDATE "${SCHEMA}".redemption_codes SET used_at = $10, used_by = $8 WHERE id = $9
       ), ins AS (
         INSERT INTO "${SCHEMA}".redemptions (id, card_no, idempotency_key, request_hash, total_points, balance_after, ledger_transaction_id, redeemed_by, holder_code_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${REDEMPTION_COLUMNS}
       ), l AS (
         INSERT INTO "${SCHEMA}".redemption_lines (redemption_id, reward_id, quantity, points_each) SELECT $1, s.id, s.qty, s.points_cost FROM s
       )
       SELECT * FROM ins`,
      [redemptionId, card!.card_no, key, hash, total, posted.balances[cardAccount], posted.transactionId, caller.sub, codeId, now, [...lines.keys()], [...lines.values()]],
    );
    return { row: rows[0], showBalance };
  });
}
