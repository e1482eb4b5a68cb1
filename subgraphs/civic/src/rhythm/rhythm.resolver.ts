import { Arg, Authorized, Ctx, Field, FieldResolver, ID, Int, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { hasRole, isCityWide, mustAuditRead, requireCaller, writeAudit, type Caller, type Role } from '@citypoints/auth';
import { badInput, divisionLevelOf, forbidden, isPeriod, isWithinDivision } from '@citypoints/kit';
import { SCHEMA } from '../context';
import type { Ctx as Context } from '../runtime';
import { passbookAccount } from '../cards/card.service';
import { CivicCard, PassbookKind } from '../cards/card.type';
import { ResidentRef, residentRef } from '../residents/resident.type';
import { projectedResident } from '../residents/projection';
import type { CivicRuntime } from '../runtime';
import { monthsOf } from './rhythm.jobs';

@ObjectType()
export class CivilityStar {
  @Field() month: string;
  @Field(() => ID) divisionCode: string;
  @Field(() => Int) rank: number;
  @Field(() => ResidentRef) resident: ResidentRef;
  @Field(() => Int) points: number;
}

@ObjectType()
export class BulletinEntry {
  @Field(() => ResidentRef) resident: ResidentRef;
  @Field(() => Int) points: number;
}

@ObjectType()
export class CivicBulletin {
  @Field() quarter: string;
  @Field(() => ID) divisionCode: string;
  @Field(() => Int) records: number;
  @Field(() => Int) points: number;
  @Field(() => [BulletinEntry]) topResidents: BulletinEntry[];
  @Field(() => Int) rulesVersion: number;
}

const CIVIC_OFFICIALS: readonly Role[] = Object.freeze(['TOWN_OFFICIAL', 'VILLAGE_REGISTRAR', 'VILLAGE_REVIEWER', 'PUBLICITY_CLERK', 'TOWN_REVIEWER']);

/**
 * A town's honour lists (stars, bulletins) name residents with their points: they are posted in
 * the town, so its residents and officials see them, and the city; a merchant, a data feed or a
 * regulator sees no more of a resident than the masked name and division (docs/domain/09-access.md).
 */
async function requireTownReader(rt: CivicRuntime, c: Caller | null, townCode: string): Promise<void> {
  const caller = requireCaller(c);
  if (isCityWide(caller)) return;
  if (hasRole(caller, ...CIVIC_OFFICIALS) && (isWithinDivision(townCode, caller.division) || isWithinDivision(caller.division, townCode))) return;
  if (hasRole(caller, 'RESIDENT')) {
    const me = await projectedResident(rt.ds.manager, caller.sub);
    if (me && isWithinDivision(me.division_code, townCode)) return;
  }
  throw forbidden("the town's honour lists are for its residents and officials");
}

/** A department's read of residents' points leaves an audit row per resident. */
async function auditDepartmentRead(ctx: Context, subjectType: string, residentIds: string[]): Promise<void> {
  if (mustAuditRead(ctx.caller)) await writeAudit(ctx.rt.ds, SCHEMA, ctx.caller, { at: ctx.rt.clock.now(), action: 'read', subjectType, subjectIds: residentIds, fields: ['points'] });
}

@Resolver()
export class RhythmResolver {
  @Authorized()
  @Query(() => [CivilityStar], { description: "a town's civility stars of a month, as the monthly job ranked them" })
  async civilityStars(@Arg('month') month: string, @Arg('divisionCode', () => ID) divisionCode: string, @Ctx() ctx: Context): Promise<CivilityStar[]> {
    if (!isPeriod(month)) throw badInput('month must be YYYY-MM', { field: 'month' });
    if (divisionLevelOf(divisionCode) !== 'TOWN') throw badInput('civility stars are ranked per town (9-digit code)', { field: 'divisionCode' });
    await requireTownReader(ctx.rt, ctx.caller, divisionCode);
    const rows: { rank: number; resident_id: string; points: number }[] = await ctx.rt.ds.query(
      `SELECT rank, resident_id, points FROM "${SCHEMA}".civility_stars WHERE month = $1 AND town_code = $2 ORDER BY rank`,
      [month, divisionCode],
    );
    await auditDepartmentRead(ctx, 'CivilityStar', rows.map((r) => r.resident_id));
    return rows.map((r) => Object.assign(new CivilityStar(), { month, divisionCode, rank: r.rank, resident: residentRef(r.resident_id), points: r.points }));
  }

  @Authorized()
  @Query(() => CivicBulletin, { nullable: true, description: "a town's or village's quarterly bulletin (quarter: YYYY-Qn)" })
  async civicBulletin(@Arg('quarter') quarter: string, @Arg('divisionCode', () => ID) divisionCode: string, @Ctx() ctx: Context): Promise<CivicBulletin | null> {
    monthsOf('QUARTERLY_BULLETIN', quarter);
    const level = divisionLevelOf(divisionCode);
    if (level !== 'TOWN' && level !== 'VILLAGE') throw badInput('a bulletin is built per town or village', { field: 'divisionCode' });
    await requireTownReader(ctx.rt, ctx.caller, divisionCode.slice(0, 9));
    const rows: { records: number; points: number; top_residents: { residentId: string; points: number }[]; rules_version: number }[] = await ctx.rt.ds.query(
      `SELECT records, points, top_residents, rules_version FROM "${SCHEMA}".bulletins WHERE quarter = $1 AND division_code = $2`,
      [quarter, divisionCode],
    );
    if (!rows.length) return null;
    const b = rows[0];
    await auditDepartmentRead(ctx, 'CivicBulletin', b.top_residents.map((t) => t.residentId));
    return Object.assign(new CivicBulletin(), {
      quarter,
      divisionCode,
      records: b.records,
      points: b.points,
      rulesVersion: b.rules_version,
      topResidents: b.top_residents.map((t) => Object.assign(new BulletinEntry(), { resident: residentRef(t.residentId), points: t.points })),
    });
  }
}

@ObjectType()
export class CivicEvaluation {
  @Field(() => Int) year: number;
  @Field(() => Int) pointsApproved: number;
  @Field(() => Int) civicBalance: number;
  @Field(() => [String]) privileges: string[];
  @Field(() => GraphQLJSON, { description: 'line by line, as the yearly evaluation wrote it' }) lines: unknown;
  @Field(() => Int) rulesVersion: number;
}

@ObjectType()
export class RedAnnualStatement {
  @Field(() => Int) year: number;
  @Field(() => Int, { description: 'the red passbook balance the year closed with; the new year starts from 0' }) closingBalance: number;
}

/** Year-end results on the card; the card itself was authorised when it was loaded. */
@Resolver(() => CivicCard)
export class CardYearResolver {
  @FieldResolver(() => CivicEvaluation, { nullable: true })
  async evaluation(@Root() card: CivicCard, @Arg('year', () => Int) year: number, @Ctx() ctx: Context): Promise<CivicEvaluation | null> {
    const rows: { points_approved: number; civic_balance: number; privileges: string[]; lines: unknown; rules_version: number }[] = await ctx.rt.ds.query(
      `SELECT points_approved, civic_balance, privileges, lines, rules_version FROM "${SCHEMA}".evaluations WHERE year = $1 AND resident_id = $2`,
      [year, card.residentId],
    );
    if (!rows.length) return null;
    const e = rows[0];
    return Object.assign(new CivicEvaluation(), { year, pointsApproved: e.points_approved, civicBalance: e.civic_balance, privileges: e.privileges, lines: e.lines, rulesVersion: e.rules_version });
  }

  @FieldResolver(() => RedAnnualStatement, { nullable: true })
  async redStatement(@Root() card: CivicCard, @Arg('year', () => Int) year: number, @Ctx() ctx: Context): Promise<RedAnnualStatement | null> {
    const s = await ctx.rt.ledger.statement(ctx.rt.ds.manager, passbookAccount(PassbookKind.RED, card.residentId), year);
    return s ? Object.assign(new RedAnnualStatement(), { year, closingBalance: s.closingBalance }) : null;
  }
}
