import { Arg, Authorized, Ctx, FieldResolver, Float, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { hasRole, isCityWide, requireCaller, type Caller } from '@citypoints/auth';
import { loader } from '@citypoints/federation';
import type { Ctx as Context } from '../runtime';
import { forbidden, isUuid, isWithinDivision } from '@citypoints/kit';
import { NeedAward, NeedCategory, NeedStatus, NeedTransition, PostNeedInput, ServiceNeed, ServiceNeedConnection, VolunteerRole } from './need.type';
import {
  cancelNeed,
  completeService,
  confirmService,
  needAwards,
  needById,
  needTransitions,
  postNeed,
  releaseNeed,
  serviceNeeds,
  startService,
  takeNeed,
} from './need.service';

/** Officials who look after the needs of their division. */
const NEED_OFFICIALS = ['TOWN_OFFICIAL', 'VILLAGE_REGISTRAR'] as const;

/**
 * Who may see how a service went (hours, rating, award, history): its requester and volunteers,
 * city-wide callers, and officials of its division. Others browsing the menu see the need itself.
 */
function mayReadService(caller: Caller, need: ServiceNeed): boolean {
  if (hasRole(caller, 'RESIDENT') && [need.requesterId, need.primaryId, need.backupId].includes(caller.sub)) return true;
  if (isCityWide(caller)) return true;
  return hasRole(caller, ...NEED_OFFICIALS) && isWithinDivision(need.divisionCode, caller.division);
}

@Resolver(() => ServiceNeed)
export class NeedResolver {
  @Authorized()
  @Query(() => ServiceNeedConnection, { description: 'the needs menu: residents browse it city-wide, officials within their division' })
  serviceNeeds(
    @Ctx() ctx: Context,
    @Arg('divisionCode', () => ID, { nullable: true }) divisionCode?: string,
    @Arg('category', () => NeedCategory, { nullable: true }) category?: NeedCategory,
    @Arg('status', () => NeedStatus, { nullable: true }) status?: NeedStatus,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<ServiceNeedConnection> {
    return serviceNeeds(ctx.rt, requireCaller(ctx.caller), { divisionCode, category, status, first, after });
  }

  @Authorized('RESIDENT')
  @Query(() => ServiceNeedConnection, { description: "the caller's own needs: those they requested and those they serve as primary or backup" })
  myServiceNeeds(
    @Ctx() ctx: Context,
    @Arg('status', () => NeedStatus, { nullable: true }) status?: NeedStatus,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<ServiceNeedConnection> {
    const caller = requireCaller(ctx.caller);
    if (!hasRole(caller, 'RESIDENT') || !isUuid(caller.sub)) throw forbidden('only a resident has needs of their own');
    return serviceNeeds(ctx.rt, caller, { status, first, after, party: caller.sub });
  }

  @Authorized()
  @Query(() => ServiceNeed, { nullable: true })
  async serviceNeed(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ServiceNeed | null> {
    const caller = requireCaller(ctx.caller);
    const official = hasRole(caller, ...NEED_OFFICIALS);
    // callers who read no need at all are refused before the id is looked up
    if (!hasRole(caller, 'RESIDENT') && !isCityWide(caller) && !(official && caller.division)) throw forbidden('reading needs is for residents and officials of a division');
    const need = await needById(ctx.rt, id);
    if (need && !hasRole(caller, 'RESIDENT') && !isCityWide(caller) && !(official && isWithinDivision(need.divisionCode, caller.division))) {
      throw forbidden("the need is outside the caller's division");
    }
    return need;
  }

  @FieldResolver(() => Float, { nullable: true, description: 'hours the volunteer reported; for the parties of the need and its officials' })
  hours(@Root() need: ServiceNeed, @Ctx() ctx: Context): number | null {
    return mayReadService(requireCaller(ctx.caller), need) ? need.hours : null;
  }

  @FieldResolver(() => Int, { nullable: true, description: "the requester's rating; for the parties of the need and its officials" })
  rating(@Root() need: ServiceNeed, @Ctx() ctx: Context): number | null {
    return mayReadService(requireCaller(ctx.caller), need) ? need.rating : null;
  }

  @FieldResolver(() => String, { nullable: true, description: 'REQUESTER, or AUTO when confirmed by the job after the waiting period; for the parties of the need and its officials' })
  confirmedBy(@Root() need: ServiceNeed, @Ctx() ctx: Context): string | null {
    return mayReadService(requireCaller(ctx.caller), need) ? need.confirmedBy : null;
  }

  @FieldResolver(() => NeedAward, { nullable: true, description: 'what the confirmed service earned, line by line; for the parties of the need and its officials' })
  async award(@Root() need: ServiceNeed, @Ctx() ctx: Context): Promise<NeedAward | null> {
    if (!mayReadService(requireCaller(ctx.caller), need)) return null;
    return loader<string, NeedAward | null>(ctx, 'need-award', (ids) => needAwards(ctx.rt, ids)).load(need.id);
  }

  @FieldResolver(() => [NeedTransition], { description: 'every move of the need, oldest first; for the parties of the need and its officials' })
  async history(@Root() need: ServiceNeed, @Ctx() ctx: Context): Promise<NeedTransition[]> {
    if (!mayReadService(requireCaller(ctx.caller), need)) throw forbidden("the need's history is for its parties and officials");
    return loader<string, NeedTransition[]>(ctx, 'need-history', (ids) => needTransitions(ctx.rt, ids)).load(need.id);
  }

  @Authorized('RESIDENT')
  @Mutation(() => ServiceNeed)
  postNeed(@Arg('input') input: PostNeedInput, @Ctx() ctx: Context): Promise<ServiceNeed> {
    return postNeed(ctx.rt, requireCaller(ctx.caller), input);
  }

  @Authorized('RESIDENT')
  @Mutation(() => ServiceNeed)
  takeNeed(@Arg('needId', () => ID) needId: string, @Arg('role', () => VolunteerRole) role: VolunteerRole, @Ctx() ctx: Context): Promise<ServiceNeed> {
    return takeNeed(ctx.rt, requireCaller(ctx.caller), needId, role);
  }

  @Authorized('RESIDENT')
  @Mutation(() => ServiceNeed, { description: 'the requester cancels; escrow returned' })
  cancelNeed(@Arg('needId', () => ID) needId: string, @Ctx() ctx: Context): Promise<ServiceNeed> {
    return cancelNeed(ctx.rt, requireCaller(ctx.caller), needId);
  }

  @Authorized('RESIDENT')
  @Mutation(() => ServiceNeed, { description: 'a volunteer gives up their role; the backup becomes primary' })
  releaseNeed(@Arg('needId', () => ID) needId: string, @Ctx() ctx: Context): Promise<ServiceNeed> {
    return releaseNeed(ctx.rt, requireCaller(ctx.caller), needId);
  }

  @Authorized('RESIDENT')
  @Mutation(() => ServiceNeed)
  startService(@Arg('needId', () => ID) needId: string, @Ctx() ctx: Context): Promise<ServiceNeed> {
    return startService(ctx.rt, requireCaller(ctx.caller), needId);
  }

  @Authorized('RESIDENT')
  @Mutation(() => ServiceNeed)
  completeService(@Arg('needId', () => ID) needId: string, @Arg('hours', () => Float) hours: number, @Ctx() ctx: Context): Promise<ServiceNeed> {
    return completeService(ctx.rt, requireCaller(ctx.caller), needId, hours);
  }

  @Authorized('RESIDENT')
  @Mutation(() => ServiceNeed)
  confirmService(@Arg('needId', () => ID) needId: string, @Arg('rating', () => Int) rating: number, @Ctx() ctx: Context): Promise<ServiceNeed> {
    return confirmService(ctx.rt, requireCaller(ctx.caller), needId, rating);
  }
}
