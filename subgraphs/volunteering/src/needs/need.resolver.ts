import { Arg, Authorized, Ctx, FieldResolver, Float, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { hasRole, isCityWide, requireCaller } from '@citypoints/auth';
import { loader, type SubgraphContext } from '@citypoints/federation';
import { forbidden, isWithinDivision } from '@citypoints/kit';
import { isUuid } from '../residents/resident.projection';
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

@Resolver(() => ServiceNeed)
export class NeedResolver {
  @Authorized()
  @Query(() => ServiceNeedConnection, { description: 'the needs menu: residents browse it city-wide, officials within their division' })
  serviceNeeds(
    @Ctx() ctx: SubgraphContext,
    @Arg('divisionCode', () => ID, { nullable: true }) divisionCode?: string,
    @Arg('category', () => NeedCategory, { nullable: true }) category?: NeedCategory,
    @Arg('status', () => NeedStatus, { nullable: true }) status?: NeedStatus,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<ServiceNeedConnection> {
    return serviceNeeds(requireCaller(ctx.caller), { divisionCode, category, status, first, after });
  }

  @Authorized('RESIDENT')
  @Query(() => ServiceNeedConnection, { description: "the caller's own needs: those they requested and those they serve as primary or backup" })
  myServiceNeeds(
    @Ctx() ctx: SubgraphContext,
    @Arg('status', () => NeedStatus, { nullable: true }) status?: NeedStatus,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ): Promise<ServiceNeedConnection> {
    const caller = requireCaller(ctx.caller);
    if (!hasRole(caller, 'RESIDENT') || !isUuid(caller.sub)) throw forbidden('only a resident has needs of their own');
    return serviceNeeds(caller, { status, first, after, party: caller.sub });
  }

  @Authorized()
  @Query(() => ServiceNeed, { nullable: true })
  async serviceNeed(@Arg('id', () => ID) id: string, @Ctx() ctx: SubgraphContext): Promise<ServiceNeed | null> {
    const caller = requireCaller(ctx.caller);
    const need = await needById(id);
    if (need && !hasRole(caller, 'RESIDENT') && !isCityWide(caller) && !(hasRole(caller, 'TOWN_OFFICIAL', 'VILLAGE_REGISTRAR') && isWithinDivision(need.divisionCode, caller.division))) {
      throw forbidden("the need is outside the caller's division");
    }
    return need;
  }

  @FieldResolver(() => NeedAward, { nullable: true, description: 'what the confirmed service earned, line by line' })
  award(@Root() need: ServiceNeed, @Ctx() ctx: SubgraphContext): Promise<NeedAward | null> {
    return loader<string, NeedAward | null>(ctx, 'need-award', needAwards).load(need.id);
  }

  @FieldResolver(() => [NeedTransition], { description: 'every move of the need, oldest first' })
  history(@Root() need: ServiceNeed, @Ctx() ctx: SubgraphContext): Promise<NeedTransition[]> {
    return loader<string, NeedTransition[]>(ctx, 'need-history', needTransitions).load(need.id);
  }

  @Authorized('RESIDENT')
  @Mutation(() => ServiceNeed)
  postNeed(@Arg('input') input: PostNeedInput, @Ctx() ctx: SubgraphContext): Promise<ServiceNeed> {
    return postNeed(requireCaller(ctx.caller), input);
  }

  @Authorized('RESIDENT')
  @Mutation(() => ServiceNeed)
  takeNeed(@Arg('needId', () => ID) needId: string, @Arg('role', () => VolunteerRole) role: VolunteerRole, @Ctx() ctx: SubgraphContext): Promise<ServiceNeed> {
    return takeNeed(requireCaller(ctx.caller), needId, role);
  }

  @Authorized('RESIDENT')
  @Mutation(() => ServiceNeed, { description: 'the requester cancels; escrow returned' })
  cancelNeed(@Arg('needId', () => ID) needId: string, @Ctx() ctx: SubgraphContext): Promise<ServiceNeed> {
    return cancelNeed(requireCaller(ctx.caller), needId);
  }

  @Authorized('RESIDENT')
  @Mutation(() => ServiceNeed, { description: 'a volunteer gives up their role; the backup becomes primary' })
  releaseNeed(@Arg('needId', () => ID) needId: string, @Ctx() ctx: SubgraphContext): Promise<ServiceNeed> {
    return releaseNeed(requireCaller(ctx.caller), needId);
  }

  @Authorized('RESIDENT')
  @Mutation(() => ServiceNeed)
  startService(@Arg('needId', () => ID) needId: string, @Ctx() ctx: SubgraphContext): Promise<ServiceNeed> {
    return startService(requireCaller(ctx.caller), needId);
  }

  @Authorized('RESIDENT')
  @Mutation(() => ServiceNeed)
  completeService(@Arg('needId', () => ID) needId: string, @Arg('hours', () => Float) hours: number, @Ctx() ctx: SubgraphContext): Promise<ServiceNeed> {
    return completeService(requireCaller(ctx.caller), needId, hours);
  }

  @Authorized('RESIDENT')
  @Mutation(() => ServiceNeed)
  confirmService(@Arg('needId', () => ID) needId: string, @Arg('rating', () => Int) rating: number, @Ctx() ctx: SubgraphContext): Promise<ServiceNeed> {
    return confirmService(requireCaller(ctx.caller), needId, rating);
  }
}
