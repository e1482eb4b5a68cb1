import { ANOTHER_RESIDENT, asDocumentRows, type HeldData } from '@citypoints/federation';
import { SCHEMA } from '../context';
import type { CivicRuntime } from '../runtime';
import { PassbookKind } from '../cards/card.type';

/** officials' and merchants' own identities and internal keys: not the resident's data */
const NOT_THEIRS = ['idempotency_key', 'request_hash', 'registered_by', 'reviewed_by', 'publicised_by', 'approved_by', 'redeemed_by', 'recorded_by', 'ruled_by', 'used_by', 'code_hash', 'actor', 'ledger_transaction_id', 'resident_id', 'holder_code_id'];

/**
 * What civic holds about a resident (docs/my-data.md): their card and its passbooks in the ledger
 * (postings, lots, annual statements), their records with each step, objections to their records
 * (the objector masked) and their own objections, redemptions with their lines, redemption codes,
 * evaluations, green collections and inspections, party membership and civility stars. A record
 * about a village or another resident is not theirs and does not appear.
 */
export async function civicHeld(rt: Pick<CivicRuntime, 'ds' | 'ledger'>, residentId: string): Promise<HeldData> {
  const q = (sql: string) => rt.ds.query(sql, [residentId]) as Promise<Record<string, unknown>[]>;
  const [cards, aliases, records, steps, objectionsToMine, myObjections, redemptions, lines, codes, evaluations, collections, inspections, party, stars, ledger] = await Promise.all([
    q(`SELECT card_no, issued_at FROM "${SCHEMA}".cards WHERE resident_id = $1::uuid`),
    q(`SELECT a.old_no, a.card_no, a.valid_until FROM "${SCHEMA}".card_aliases a JOIN "${SCHEMA}".cards c ON c.card_no = a.card_no WHERE c.resident_id = $1::uuid`),
    q(`SELECT *, to_char(occurred_on, 'YYYY-MM-DD') AS occurred_on FROM "${SCHEMA}".records WHERE resident_id = $1::uuid ORDER BY created_at, id`),
    q(`SELECT s.record_id, s.step, s.decision, s.note, s.at FROM "${SCHEMA}".record_steps s JOIN "${SCHEMA}".records r ON r.id = s.record_id WHERE r.resident_id = $1::uuid ORDER BY s.id`),
    q(`SELECT o.record_id, o.reason, o.raised_at, o.upheld, o.ruled_at, (o.resident_id = $1::uuid) AS by_me FROM "${SCHEMA}".objections o JOIN "${SCHEMA}".records r ON r.id = o.record_id WHERE r.resident_id = $1::uuid ORDER BY o.raised_at`),
    q(`SELECT o.reason, o.raised_at, o.upheld, o.ruled_at FROM "${SCHEMA}".objections o JOIN "${SCHEMA}".records r ON r.id = o.record_id WHERE o.resident_id = $1::uuid AND r.resident_id <> $1::uuid ORDER BY o.raised_at`),
    q(
      `SELECT d.* FROM "${SCHEMA}".redemptions d
        WHERE d.resident_id = $1::uuid OR d.card_no IN (SELECT card_no FROM "${SCHEMA}".cards WHERE resident_id = $1::uuid)
        ORDER BY d.created_at`,
    ),
    q(
      `SELECT l.redemption_id, l.quantity, l.points_each, i.name AS item, i.points_kind, m.name AS merchant
         FROM "${SCHEMA}".redemption_lines l
         JOIN "${SCHEMA}".redemptions d ON d.id = l.redemption_id
         LEFT JOIN "${SCHEMA}".reward_items i ON i.id = l.reward_id
         LEFT JOIN "${SCHEMA}".merchants m ON m.merchant_id = i.merchant_id
        WHERE d.resident_id = $1::uuid OR d.card_no IN (SELECT card_no FROM "${SCHEMA}".cards WHERE resident_id = $1::uuid)`,
    ),
    q(`SELECT r.card_no, r.issued_at, r.expires_at, r.used_at FROM "${SCHEMA}".redemption_codes r JOIN "${SCHEMA}".cards c ON c.card_no = r.card_no WHERE c.resident_id = $1::uuid ORDER BY r.issued_at`),
    q(`SELECT * FROM "${SCHEMA}".evaluations WHERE resident_id = $1::uuid ORDER BY year`),
    q(`SELECT * FROM "${SCHEMA}".green_collections WHERE resident_id = $1::uuid ORDER BY recorded_at`),
    q(`SELECT * FROM "${SCHEMA}".green_inspections WHERE resident_id = $1::uuid ORDER BY month`),
    q(`SELECT recorded_at FROM "${SCHEMA}".party_members WHERE resident_id = $1::uuid`),
    q(`SELECT month, town_code, rank, points, last_approved_at, rules_version FROM "${SCHEMA}".civility_stars WHERE resident_id = $1::uuid ORDER BY month`),
    rt.ledger.holdings(rt.ds.manager, residentId, Object.values(PassbookKind)),
  ]);
  const of = (rows: Record<string, unknown>[], key: string, id: unknown) => asDocumentRows(rows.filter((r) => r[key] === id), [key, ...NOT_THEIRS]);
  return {
    data: {
      cards: asDocumentRows(cards).map((c) => ({ ...c, aliases: asDocumentRows(aliases.filter((a) => a.card_no === c.cardNo), ['card_no']) })),
      passbooks: ledger.accounts,
      records: records.map((r) => ({
        ...asDocumentRows([r], NOT_THEIRS)[0],
        steps: of(steps, 'record_id', r.id),
        objections: of(objectionsToMine, 'record_id', r.id).map(({ byMe, ...o }) => ({ ...o, raisedBy: byMe ? 'you' : ANOTHER_RESIDENT })),
      })),
      objectionsRaisedToOthersRecords: asDocumentRows(myObjections),
      redemptions: redemptions.map((d) => ({ ...asDocumentRows([d], NOT_THEIRS)[0], lines: of(lines, 'redemption_id', d.id) })),
      redemptionCodes: asDocumentRows(codes),
      evaluations: asDocumentRows(evaluations, NOT_THEIRS),
      greenCollections: asDocumentRows(collections, NOT_THEIRS),
      greenInspections: asDocumentRows(inspections, NOT_THEIRS),
      partyMember: party.length ? asDocumentRows(party)[0] : null,
      civilityStars: asDocumentRows(stars),
    },
    auditSubjects: {
      CivicCard: cards.map((c) => String(c.card_no)),
      CivicRecord: records.map((r) => String(r.id)),
    },
  };
}
