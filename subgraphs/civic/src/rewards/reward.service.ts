import { createHash } from 'node:crypto';
import { hasRole, isCityAdmin, requireRole, type Caller } from '@citypoints/auth';
import { badInput, conflict, DomainError, ErrorCode, forbidden, notFound } from '@citypoints/kit';
import { SCHEMA } from '../context';
import type { CivicRuntime } from '../runtime';
import { cardByNo, merchantAccount, passbookAccount } from '../cards/card.service';
import { PassbookKind } from '../cards/card.type';
import { Redemption, RewardItem, type RedeemInput } from './reward.type';
import { isUuid } from '../ids';

interface RewardRow {
  id: string;
  merchant_id: string;
  name: string;
  points_cost: number;
  stock: number;
}

const toReward = (r: RewardRow): RewardItem => Object.assign(new RewardItem(), { id: r.id, name: r.name, pointsCost: r.points_cost, stock: r.stock, merchantId: r.merchant_id });

const MAX_QUANTITY = 1000;
const MAX_LINES = 50;

export async function listRewards(rt: CivicRuntime, merchantId: string | null | undefined): Promise<RewardItem[]> {
  const rows: RewardRow[] = await rt.ds.query(
    `SELECT id, merchant_id, name, points_cost, stock FROM "${SCHEMA}".reward_items WHERE ($1::text IS NULL OR merchant_id = $1) ORDER BY merchant_id, name, id`,
    [merchantId ?? null],
  );
  return rows.map(toReward);
}

/** A merchant stocks its own shelf; the city and town officials may stock any. */
export async function defineReward(rt: CivicRuntime, c: Caller | null, name: string, pointsCost: number, stock: number, merchantId: string): Promise<RewardItem> {
  const caller = requireRole(c, 'MERCHANT', 'TOWN_OFFICIAL');
  if (!isCityAdmin(caller) && !hasRole(caller, 'TOWN_OFFICIAL') && caller.sub !== merchantId) throw forbidden('a merchant stocks only its own points supermarket');
  const n = (name ?? '').trim();
  if (n.length < 1 || n.length > 100) throw badInput('name must have 1 to 100 characters', { field: 'name' });
  if (!Number.isInteger(pointsCost) || pointsCost < 1 || pointsCost > 1_000_000) throw badInput('pointsCost must be a whole number from 1 to 1000000', { field: 'pointsCost' });
  if (!Number.isInteger(stock) || stock < 0 || stock > 1_000_000) throw badInput('stock must be a whole number from 0 to 1000000', { field: 'stock' });
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(merchantId ?? '')) throw badInput('merchantId must be 1 to 64 letters, digits or _.:-', { field: 'merchantId' });
  return rt.ds.transaction(async (m) => {
    await rt.ledger.openAccount(m, { id: merchantAccount(merchantId), ownerId: merchantId, kind: 'MERCHANT' });
    const rows: RewardRow[] = await m.query(
      `INSERT INTO "${SCHEMA}".reward_items (merchant_id, name, points_cost, stock, created_at) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, merchant_id, name, points_cost, stock`,
      [merchantId, n, pointsCost, stock, rt.clock.now()],
    );
    return toReward(rows[0]);
  });
}

interface RedemptionRow {
  id: string;
  card_no: string;
  request_hash: string;
  total_points: number;
  balance_after: number;
  created_at: Date;
}

const toRedemption = (r: RedemptionRow): Redemption =>
  Object.assign(new Redemption(), { id: r.id, cardNo: r.card_no, totalPoints: r.total_points, balanceAfter: r.balance_after, createdAt: r.created_at });

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

/**
 * Takes the points and the stock in one transaction: the reward rows are locked (in id order, so
 * concurrent redemptions queue instead of deadlocking), the stock is checked, the ledger posts
 * the card's debit (refusing an overdraft), then the stock falls. A retry with the same key
 * finds the first redemption and returns it, moving nothing.
 */
export async function redeem(rt: CivicRuntime, c: Caller | null, input: RedeemInput): Promise<Redemption> {
  const caller = requireRole(c, 'RESIDENT', 'MERCHANT');
  const key = (input.idempotencyKey ?? '').trim();
  if (key.length < 1 || key.length > 200) throw badInput('idempotencyKey must have 1 to 200 characters', { field: 'idempotencyKey' });
  const lines = validLines(input);
  const hash = createHash('sha256').update(JSON.stringify([...lines.entries()].sort())).digest('hex');
  return rt.ds.transaction(async (m) => {
    const card = await cardByNo(m, input.cardNo);
    if (!card) throw notFound('civic card', input.cardNo);
    const asOwner = hasRole(caller, 'RESIDENT') && caller.sub === card.resident_id;
    const asMerchant = hasRole(caller, 'MERCHANT');
    if (!asOwner && !asMerchant && !isCityAdmin(caller)) throw forbidden('only the card holder or a merchant may redeem on this card');
    await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`civic:redeem:${card.card_no}:${key}`]);
    const existing: RedemptionRow[] = await m.query(
      `SELECT id, card_no, request_hash, total_points, balance_after, created_at FROM "${SCHEMA}".redemptions WHERE card_no = $1 AND idempotency_key = $2`,
      [card.card_no, key],
    );
    if (existing.length) {
      if (existing[0].request_hash !== hash) throw conflict('idempotencyKey was already used for a different redemption', { field: 'idempotencyKey' });
      return toRedemption(existing[0]);
    }
    const rewards: RewardRow[] = await m.query(
      `SELECT id, merchant_id, name, points_cost, stock FROM "${SCHEMA}".reward_items WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [[...lines.keys()]],
    );
    const byId = new Map(rewards.map((r) => [r.id, r]));
    for (const id of lines.keys()) if (!byId.has(id)) throw notFound('reward item', id);
    if (!asOwner && !isCityAdmin(caller) && rewards.some((r) => r.merchant_id !== caller.sub)) throw forbidden("a merchant redeems only its own reward items");
    const short = rewards.filter((r) => r.stock < lines.get(r.id)!);
    if (short.length) {
      throw new DomainError(ErrorCode.OUT_OF_STOCK, 'not enough stock', { items: short.map((r) => ({ rewardId: r.id, stock: r.stock, requested: lines.get(r.id) })) });
    }
    const perMerchant = new Map<string, number>();
    let total = 0;
    for (const r of rewards) {
      const points = r.points_cost * lines.get(r.id)!;
      total += points;
      perMerchant.set(r.merchant_id, (perMerchant.get(r.merchant_id) ?? 0) + points);
    }
    const cardAccount = passbookAccount(PassbookKind.CIVIC, card.resident_id);
    const posted = await rt.ledger.post(m, {
      idempotencyKey: `civic:redeem:${card.card_no}:${key}`,
      kind: 'REDEMPTION',
      metadata: { cardNo: card.card_no },
      entries: [{ accountId: cardAccount, amount: -total }, ...[...perMerchant].map(([merchant, points]) => ({ accountId: merchantAccount(merchant), amount: points }))],
    });
    await m.query(
      `UPDATE "${SCHEMA}".reward_items r SET stock = r.stock - x.qty FROM unnest($1::uuid[], $2::int[]) AS x(id, qty) WHERE r.id = x.id`,
      [[...lines.keys()], [...lines.values()]],
    );
    const rows: RedemptionRow[] = await m.query(
      `INSERT INTO "${SCHEMA}".redemptions (card_no, idempotency_key, request_hash, total_points, balance_after, ledger_transaction_id, redeemed_by, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, card_no, request_hash, total_points, balance_after, created_at`,
      [card.card_no, key, hash, total, posted.balances[cardAccount], posted.transactionId, caller.sub, rt.clock.now()],
    );
    await m.query(
      `INSERT INTO "${SCHEMA}".redemption_lines (redemption_id, reward_id, quantity, points_each) SELECT $1, x.id, x.qty, r.points_cost
         FROM unnest($2::uuid[], $3::int[]) AS x(id, qty) JOIN "${SCHEMA}".reward_items r ON r.id = x.id`,
      [rows[0].id, [...lines.keys()], [...lines.values()]],
    );
    return toRedemption(rows[0]);
  });
}
