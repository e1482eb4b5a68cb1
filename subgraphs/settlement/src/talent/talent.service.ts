import { canReachDivision, mustAuditRead, requireCaller, writeAudit, type Caller } from '@citypoints/auth';
import { loader } from '@citypoints/federation';
import { badInput, conflict, DomainError, forbidden, invalidState, isUuid, type Queryable as Q } from '@citypoints/kit';
import { SCHEMA } from '../context';
import { residentFacts } from '../residents/resident.projection';
import type { TalentCard, TalentCategory, TalentQuota } from './talent.type';
import type { Ctx, SettlementRuntime } from '../runtime';
import { QUOTA_EXCEEDED } from '../errors';

interface CardRow {
  card_no: string;
  holder_id: string;
  category: TalentCategory;
  year: number;
  status: string;
  benefits: string[];
}

const toCard = (r: CardRow): TalentCard => ({ cardNo: r.card_no, holderId: r.holder_id, category: r.category, year: r.year, status: r.status, benefits: r.benefits });

const validYear = (year: number) => {
  if (!Number.isInteger(year) || year < 2000 || year > 2100) throw badInput('year must be 2000..2100', { field: 'year' });
};

export async function setTalentCardQuota(rt: SettlementRuntime, caller: Caller, year: number, total: number): Promise<number> {
  validYear(year);
  if (!Number.isInteger(total) || total < 0 || total > 1_000_000) throw badInput('total must be 0..1000000', { field: 'total' });
  return rt.ds.transaction(async (m) => {
    await m.query(
      `INSERT INTO "${SCHEMA}".talent_quotas (year, total, set_by) VALUES ($1, 0, $2) ON CONFLICT (year) DO NOTHING`,
      [year, caller.sub],
    );
    await m.query(`SELECT 1 FROM "${SCHEMA}".talent_quotas WHERE year = $1 FOR UPDATE`, [year]);
    const over: { category: string }[] = await m.query(
      `SELECT s.category FROM "${SCHEMA}".talent_shares s
       WHERE (SELECT count(*) FROM "${SCHEMA}".talent_cards c WHERE c.year = $1 AND c.category = s.category AND c.status = 'ISSUED') > floor($2 * s.share_percent / 100.0)`,
      [year, total],
    );
    if (over.length) throw invalidState(`more cards are issued in ${over.map((o) => o.category).join(', ')} than a quota of ${total} allows`);
    await m.query(`UPDATE "${SCHEMA}".talent_quotas SET total = $2, set_by = $3, set_at = now() WHERE year = $1`, [year, total, caller.sub]);
    return total;
  });
}

/**
 * Issues a card inside its category's share of the year's quota. The quota row is locked for the
 * count and the insert, so simultaneous requests queue there and none can overshoot the share.
 */
export async function issueTalentCard(rt: SettlementRuntime, c: Caller | null, residentId: string, category: TalentCategory, year: number): Promise<TalentCard> {
  const caller = requireCaller(c);
  validYear(year);
  return rt.ds.transaction(async (m) => {
    const holder = await residentFacts(m, residentId);
    if (!canReachDivision(caller, holder.divisionCode)) throw forbidden('the resident lives outside the caller\'s division');
    const quota: { total: number }[] = await m.query(`SELECT total FROM "${SCHEMA}".talent_quotas WHERE year = $1 FOR UPDATE`, [year]);
    if (!quota.length) throw invalidState(`no talent-card quota is set for ${year}`);
    const share: { share_percent: number }[] = await m.query(`SELECT share_percent FROM "${SCHEMA}".talent_shares WHERE category = $1`, [category]);
    const allowed = Math.floor((quota[0].total * share[0].share_percent) / 100);
    const issued = Number((await m.query(`SELECT count(*) AS n FROM "${SCHEMA}".talent_cards WHERE year = $1 AND category = $2 AND status = 'ISSUED'`, [year, category]))[0].n);
    if (issued >= allowed) throw new DomainError(QUOTA_EXCEEDED, `the ${category} share of ${year} (${allowed} of ${quota[0].total}) is used up`, { category, year, share: allowed });
    const has = await m.query(`SELECT card_no FROM "${SCHEMA}".talent_cards WHERE holder_id = $1 AND year = $2`, [holder.id, year]);
    if (has.length) throw conflict(`resident ${holder.id} already holds card ${has[0].card_no} of ${year}`);
    const rows: CardRow[] = await m.query(
      `INSERT INTO "${SCHEMA}".talent_cards (card_no, holder_id, category, year, status, benefits, issued_at, issued_by)
       SELECT 'TC' || $3::int || '-' || lpad(nextval('"${SCHEMA}".application_seq')::text, 7, '0'), $1, $2, $3, 'ISSUED',
              COALESCE((SELECT array_agg(code ORDER BY code) FROM "${SCHEMA}".talent_benefits), '{}'), $4, $5
       RETURNING card_no, holder_id, category, year, status, benefits`,
      [holder.id, category, year, rt.clock.now(), caller.sub],
    );
    return toCard(rows[0]);
  });
}

export async function talentQuota(rt: SettlementRuntime, year: number): Promise<TalentQuota | null> {
  validYear(year);
  const q: { total: number }[] = await rt.ds.query(`SELECT total FROM "${SCHEMA}".talent_quotas WHERE year = $1`, [year]);
  if (!q.length) return null;
  const shares: { category: TalentCategory; share_percent: number; issued: string }[] = await rt.ds.query(
    `SELECT s.category, s.share_percent, (SELECT count(*) FROM "${SCHEMA}".talent_cards c WHERE c.year = $1 AND c.category = s.category AND c.status = 'ISSUED') AS issued
     FROM "${SCHEMA}".talent_shares s ORDER BY s.category`,
    [year],
  );
  return {
    year,
    total: q[0].total,
    shares: shares.map((s) => ({ category: s.category, sharePercent: s.share_percent, share: Math.floor((q[0].total * s.share_percent) / 100), issued: Number(s.issued) })),
  };
}

/** A resident's latest issued card (Resident.settlement.talentCard), batched. */
export function talentCardLoader(ctx: Ctx) {
  const rt = ctx.rt;
  return loader<string, TalentCard | null>(ctx, 'talentCard', async (ids) => {
    const valid = ids.filter(isUuid);
    const rows: CardRow[] = valid.length
      ? await rt.ds.query(
          `SELECT DISTINCT ON (holder_id) card_no, holder_id, category, year, status, benefits FROM "${SCHEMA}".talent_cards
           WHERE holder_id = ANY($1::uuid[]) AND status = 'ISSUED' ORDER BY holder_id, year DESC`,
          [valid],
        )
      : [];
    const map = new Map(rows.map((r) => [r.holder_id, toCard(r)]));
    if (mustAuditRead(ctx.caller) && rows.length) {
      await writeAudit(rt.ds, SCHEMA, ctx.caller, { at: rt.clock.now(), action: 'read', subjectType: 'TalentCard', subjectIds: rows.map((r) => r.card_no), fields: ['category', 'year', 'status', 'benefits'] });
    }
    return ids.map((id) => map.get(id) ?? null);
  });
}

export function talentHolderLoader(ctx: Ctx) {
  const rt = ctx.rt;
  // whether a parent holds a card (priority placement), not the card itself: nothing of the card is read
  return loader<string, boolean>(ctx, 'talentHolder', async (ids) => {
    const valid = ids.filter(isUuid);
    const rows: { holder_id: string }[] = valid.length
      ? await rt.ds.query(`SELECT DISTINCT holder_id FROM "${SCHEMA}".talent_cards WHERE holder_id = ANY($1::uuid[]) AND status = 'ISSUED'`, [valid])
      : [];
    const holders = new Set(rows.map((r) => r.holder_id));
    return ids.map((id) => holders.has(id));
  });
}

export async function holdsTalentCard(m: Q, residentId: string): Promise<boolean> {
  const rows = await m.query(`SELECT 1 FROM "${SCHEMA}".talent_cards WHERE holder_id = $1 AND status = 'ISSUED' LIMIT 1`, [residentId]);
  return rows.length > 0;
}
