import type { EntityManager } from 'typeorm';
import { hasRole, isCityWide, mustAuditRead, writeAudit, type Caller, type Role } from '@citypoints/auth';
import { forbidden, isUuid, isWithinDivision, notFound, unauthenticated } from '@citypoints/kit';
import { loader } from '@citypoints/federation';
import type { LedgerAccount } from '@citypoints/ledger';
import { SCHEMA } from '../context';
import type { CivicRuntime, Ctx } from '../runtime';
import { residentRef } from '../residents/resident.type';
import { ensureResidents } from '../residents/projection';
import { CivicCard, Passbook, PassbookKind } from './card.type';
import { newCardNumber } from './card-number';

const ISSUE_SHARDS = 16;

/** Each passbook of a resident is a ledger account; RED may close a year below 0, so it may go negative. */
export const passbookAccount = (kind: PassbookKind, residentId: string) => `civic:${kind}:${residentId}`;
const PASSBOOK_POLICY: Readonly<Record<PassbookKind, { allowNegative: boolean; policy: { yearlySettlement?: boolean } }>> = Object.freeze({
  CIVIC: { allowNegative: false, policy: {} },
  RED: { allowNegative: true, policy: { yearlySettlement: true } },
  GREEN: { allowNegative: false, policy: {} },
});

/**
 * The counterpart of every credit and debit of a passbook kind. Spread over shards by resident:
 * a system account is locked by each post that touches it, so a single one would serialise the city.
 */
export const issueAccount = (kind: PassbookKind, residentId: string) => `civic:${kind}-ISSUE:${parseInt(residentId.slice(-2), 16) % ISSUE_SHARDS}`;
export const RED_SETTLED_ACCOUNT = 'civic:RED-SETTLED';
export const merchantAccount = (merchantId: string) => `civic:MERCHANT:${merchantId}`;

export async function openSystemAccounts(rt: Pick<CivicRuntime, 'ledger'>, m: EntityManager): Promise<void> {
  for (const kind of Object.values(PassbookKind)) {
    for (let s = 0; s < ISSUE_SHARDS; s++) {
      await rt.ledger.openAccount(m, { id: `civic:${kind}-ISSUE:${s}`, ownerId: 'civic', kind: `${kind}_ISSUE`, allowNegative: true });
    }
  }
  await rt.ledger.openAccount(m, { id: RED_SETTLED_ACCOUNT, ownerId: 'civic', kind: 'RED_SETTLED', allowNegative: true });
}

export async function openPassbook(rt: Pick<CivicRuntime, 'ledger'>, m: EntityManager, kind: PassbookKind, residentId: string): Promise<void> {
  await rt.ledger.openAccount(m, { id: passbookAccount(kind, residentId), ownerId: residentId, kind, ...PASSBOOK_POLICY[kind] });
}

export interface CardRow {
  card_no: string;
  resident_id: string;
  issued_at: Date;
  division_code: string;
  party_member: boolean;
}


/**
 * The cards of these residents, issuing one (with its passbooks) to each registered resident who
 * has none yet. Residents the projection does not know get none. Safe under concurrency: a card
 * issued by a concurrent request is found, not duplicated.
 */
export async function ensureCards(rt: Pick<CivicRuntime, 'ledger'>, m: EntityManager, residentIds: readonly string[], now: Date): Promise<Map<string, CardRow>> {
  const ids = [...new Set(residentIds.filter(isUuid))];
  if (!ids.length) return new Map();
  // a random number already taken leaves its resident without a card this round; they draw again
  for (let round = 0; round < 5; round++) {
    const missing: { id: string }[] = await m.query(
      `SELECT r.id FROM "${SCHEMA}".residents r
        WHERE r.id = ANY($1::uuid[]) AND NOT EXISTS (SELECT 1 FROM "${SCHEMA}".cards c WHERE c.resident_id = r.id) ORDER BY r.id`,
      [ids],
    );
    if (!missing.length) break;
    const issued: { resident_id: string }[] = await m.query(
      `INSERT INTO "${SCHEMA}".cards (card_no, resident_id, issued_at)
       SELECT x.card_no, x.id, $3 FROM unnest($1::uuid[], $2::text[]) AS x(id, card_no)
       ON CONFLICT DO NOTHING RETURNING resident_id`,
      [missing.map((r) => r.id), missing.map(() => newCardNumber()), now],
    );
    // both passbooks of every card issued this round, in one statement
    if (issued.length) {
      await rt.ledger.openAccounts(
        m,
        issued.flatMap((r) => [PassbookKind.CIVIC, PassbookKind.GREEN].map((kind) => ({ id: passbookAccount(kind, r.resident_id), ownerId: r.resident_id, kind, ...PASSBOOK_POLICY[kind] }))),
      );
    }
  }
  const rows: CardRow[] = await m.query(
    `SELECT c.card_no, c.resident_id, c.issued_at, r.division_code, (p.resident_id IS NOT NULL) AS party_member
       FROM "${SCHEMA}".cards c JOIN "${SCHEMA}".residents r ON r.id = c.resident_id
       LEFT JOIN "${SCHEMA}".party_members p ON p.resident_id = c.resident_id
      WHERE c.resident_id = ANY($1::uuid[])`,
    [ids],
  );
  return new Map(rows.map((r) => [r.resident_id, r]));
}

/** The card of a number, or of a number it had before re-numbering while that alias is valid. */
export async function cardByNo(rt: Pick<CivicRuntime, 'clock'>, m: Pick<EntityManager, 'query'>, cardNo: string, lock?: string): Promise<CardRow | null> {
  if (typeof cardNo !== 'string' || cardNo.length > 40) return null;
  // `lock`: an advisory transaction lock taken in the same statement when the card is found (callerKeyLock)
  const rows: CardRow[] = await m.query(
    `SELECT c.card_no, c.resident_id, c.issued_at, r.division_code, (p.resident_id IS NOT NULL) AS party_member${lock === undefined ? '' : ', pg_advisory_xact_lock(hashtext($3)) AS key_locked'}
       FROM "${SCHEMA}".cards c JOIN "${SCHEMA}".residents r ON r.id = c.resident_id
       LEFT JOIN "${SCHEMA}".party_members p ON p.resident_id = c.resident_id
      WHERE c.card_no = coalesce(
        (SELECT card_no FROM "${SCHEMA}".cards WHERE card_no = $1),
        (SELECT card_no FROM "${SCHEMA}".card_aliases WHERE old_no = $1 AND valid_until > $2))`,
    lock === undefined ? [cardNo, rt.clock.now()] : [cardNo, rt.clock.now(), lock],
  );
  const row = rows[0];
  if (row && lock !== undefined) delete (row as { key_locked?: unknown }).key_locked;
  return row ?? null;
}

/** Officials who see the cards of residents within their division. */
const CARD_OFFICIALS: readonly Role[] = Object.freeze(['TOWN_OFFICIAL', 'VILLAGE_REGISTRAR', 'VILLAGE_REVIEWER', 'PUBLICITY_CLERK', 'TOWN_REVIEWER']);

export function mayReadCard(caller: Caller | null, residentId: string, divisionCode: string): boolean {
  if (!caller) throw unauthenticated();
  if (isCityWide(caller)) return true;
  if (hasRole(caller, 'RESIDENT') && caller.sub === residentId) return true;
  return hasRole(caller, ...CARD_OFFICIALS) && isWithinDivision(divisionCode, caller.division);
}

function toCard(row: CardRow, accounts: Map<string, LedgerAccount>): CivicCard {
  const passbooks: Passbook[] = [];
  for (const kind of Object.values(PassbookKind)) {
    const a = accounts.get(passbookAccount(kind, row.resident_id));
    if (a) passbooks.push({ kind, balance: a.balance, lifetimeEarned: a.lifetimeEarned, lifetimeSpent: a.lifetimeSpent });
  }
  return Object.assign(new CivicCard(), {
    cardNo: row.card_no,
    resident: residentRef(row.resident_id),
    balance: passbooks.find((p) => p.kind === PassbookKind.CIVIC)?.balance ?? 0,
    passbooks,
    issuedAt: row.issued_at,
    residentId: row.resident_id,
    divisionCode: row.division_code,
  });
}

/**
 * Cards by resident, batched per request: one transaction issues the missing cards, reads the
 * cards and reads every passbook in one query. Null for residents the projection does not know.
 */
export function cardLoader(ctx: Ctx) {
  const rt = ctx.rt;
  return loader<string, CivicCard | null>(ctx, 'civicCardByResident', async (residentIds) => {
    // the residents with their cards, if any, in one statement
    const known: (Omit<CardRow, 'card_no' | 'resident_id' | 'issued_at'> & { id: string; card_no: string | null; resident_id: string | null; issued_at: Date | null })[] = await rt.ds.query(
      `SELECT r.id, r.division_code, c.card_no, c.resident_id, c.issued_at, (p.resident_id IS NOT NULL) AS party_member
         FROM "${SCHEMA}".residents r
         LEFT JOIN "${SCHEMA}".cards c ON c.resident_id = r.id
         LEFT JOIN "${SCHEMA}".party_members p ON p.resident_id = r.id
        WHERE r.id = ANY($1::uuid[])`,
      [residentIds.filter(isUuid)],
    );
    // a refused caller must not cause a card to be issued
    const readableRows = known.filter((r) => mayReadCard(ctx.caller, r.id, r.division_code));
    const readable = readableRows.map((r) => r.id);
    const accountsOf = async (m: EntityManager, cards: Map<string, CardRow>) => {
      const ids = [...cards.values()].flatMap((c) => Object.values(PassbookKind).map((k) => passbookAccount(k, c.resident_id)));
      const list = await rt.ledger.accounts(m, ids);
      return new Map(list.filter((a): a is LedgerAccount => !!a).map((a) => [a.id, a]));
    };
    // every card there already (the usual case): read, no transaction; else issued first
    const { cards, accounts } = readableRows.every((r) => r.card_no)
      ? await (async () => {
          const cards = new Map(readableRows.map((r) => [r.id, r as CardRow]));
          return { cards, accounts: await accountsOf(rt.ds.manager, cards) };
        })()
      : await rt.ds.transaction(async (m) => {
          const cards = await ensureCards(rt, m, readable, rt.clock.now());
          return { cards, accounts: await accountsOf(m, cards) };
        });
    const seen: string[] = [];
    const isKnown = new Set(known.map((r) => r.id));
    const out = residentIds.map((id) => {
      const row = cards.get(id);
      if (!row) return isKnown.has(id) ? forbidden(`the civic card of resident ${id} is outside the caller's reach`) : null;
      seen.push(id);
      return toCard(row, accounts);
    });
    if (mustAuditRead(ctx.caller) && seen.length) {
      await writeAudit(rt.ds, SCHEMA, ctx.caller, { at: rt.clock.now(), action: 'read', subjectType: 'CivicCard', subjectIds: seen, fields: ['balance', 'passbooks', 'records'] });
    }
    return out;
  });
}

/** A resident's card, or null when neither civic nor registry knows the resident. */
export async function findCard(ctx: Ctx, residentId: string): Promise<CivicCard | null> {
  const card = await cardLoader(ctx).load(residentId);
  if (card) return card;
  // a resident registry knows but no event has brought yet: asked of registry, then read again
  return (await ensureResidents(ctx, [residentId])).size ? cardLoader(ctx).clear(residentId).load(residentId) : null;
}

export async function requireCard(ctx: Ctx, residentId: string): Promise<CivicCard> {
  const card = await findCard(ctx, residentId);
  if (!card) throw notFound('resident', residentId);
  return card;
}
