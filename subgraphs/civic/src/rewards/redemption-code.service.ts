import { createHash, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { requireRole, type Caller } from '@citypoints/auth';
import { isUuid, notFound } from '@citypoints/kit';
import { SCHEMA } from '../context';
import type { CivicRuntime } from '../runtime';
import { ensureCards } from '../cards/card.service';
import { RedemptionCode } from './reward.type';

/** How long a code the holder issued stays usable (docs/domain/04-civic-cards.md: ten minutes, one use). */
const CODE_LIFETIME_MS = 10 * 60_000;
/** Letters and digits a person reads out without confusing them (no 0/O, 1/I/L). */
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
const CODE_LENGTH = 8;

const newCode = () => Array.from({ length: CODE_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');

/** What a merchant types may carry spaces, dashes or lower case. */
const normalise = (code: string) => code.toUpperCase().replace(/[\s-]/g, '');

/** Only the hash is kept; the row id salts it, so equal codes of two cards hash apart. */
const hashOf = (id: string, code: string) => createHash('sha256').update(`${id}:${code}`).digest();

/**
 * A one-time code for the caller's own card: shown once, stored hashed, valid ten minutes on the
 * clock. A merchant who is given it may redeem once on this card.
 */
export async function issueRedemptionCode(rt: CivicRuntime, c: Caller | null): Promise<RedemptionCode> {
  const caller = requireRole(c, 'RESIDENT');
  const code = newCode();
  const id = randomUUID();
  const hash = hashOf(id, code).toString('hex');
  // a card already issued (nearly every time): one statement, no transaction of its own
  const now = rt.clock.now();
  const expiresAt = new Date(now.getTime() + CODE_LIFETIME_MS);
  const stored: { card_no: string }[] = await rt.ds.query(
    `INSERT INTO "${SCHEMA}".redemption_codes (id, card_no, code_hash, issued_at, expires_at)
     SELECT $1, card_no, $3, $4, $5 FROM "${SCHEMA}".cards WHERE resident_id = $2 RETURNING card_no`,
    [id, isUuid(caller.sub) ? caller.sub : null, hash, now, expiresAt],
  );
  if (stored.length) return Object.assign(new RedemptionCode(), { code, cardNo: stored[0].card_no, expiresAt });
  // no card yet: issue it (with its passbooks) and the code in one transaction
  return rt.ds.transaction(async (m) => {
    const card = (await ensureCards(rt, m, [caller.sub], now)).get(caller.sub);
    if (!card) throw notFound('civic card of resident', caller.sub);
    await m.query(`INSERT INTO "${SCHEMA}".redemption_codes (id, card_no, code_hash, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5)`, [id, card.card_no, hash, now, expiresAt]);
    return Object.assign(new RedemptionCode(), { code, cardNo: card.card_no, expiresAt });
  });
}

/**
 * The id of the code among `live` — the card's unused, unexpired codes, which the redeem reads
 * locked until its transaction ends so two redemptions cannot both spend one — that the given one
 * matches (compared in constant time), or null.
 */
export function matchingCode(live: { id: string; code_hash: string }[], code: string | null | undefined): string | null {
  if (typeof code !== 'string' || code.length > 64) return null;
  const given = normalise(code);
  if (given.length !== CODE_LENGTH) return null;
  for (const row of live) {
    if (timingSafeEqual(hashOf(row.id, given), Buffer.from(row.code_hash, 'hex'))) return row.id;
  }
  return null;
}

/** True when the given code is the one (now spent) code of this id: what authorises a replay of the redemption it paid for. */
export async function isCode(m: EntityManager, id: string, code: string | null | undefined): Promise<boolean> {
  if (typeof code !== 'string' || code.length > 64) return false;
  const given = normalise(code);
  if (given.length !== CODE_LENGTH) return false;
  const rows: { code_hash: string }[] = await m.query(`SELECT code_hash FROM "${SCHEMA}".redemption_codes WHERE id = $1`, [id]);
  return rows.length === 1 && timingSafeEqual(hashOf(id, given), Buffer.from(rows[0].code_hash, 'hex'));
}
