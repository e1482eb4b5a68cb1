import { Arg, Authorized, Ctx, FieldResolver, Float, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { hasRole, requireCaller } from '@citypoints/auth';
import type { Ctx as Context } from '../runtime';
import { ResidentRef } from '../residents/resident.reference';
import { withReadThrough } from '@citypoints/events';
import { ensureResidents } from '../residents/resident.projection';
import { donatePoints, givePoints } from '../points/points.service';
import { HoursRecord, VolunteerProfile } from './volunteer.type';
import { profileLoader, profileOf, readHours, recordAdministratorHours, registerVolunteer } from './volunteer.service';
import { isUuid } from '@citypoints/kit';

@Resolver(() => ResidentRef)
export class ResidentVolunteerResolver {
  @Authorized()
  @FieldResolver(() => VolunteerProfile, { nullable: true, description: 'contributed by volunteering' })
  volunteer(@Root() r: ResidentRef, @Ctx() ctx: Context): Promise<VolunteerProfile | null> {
    return profileLoader(ctx).load(r.id);
  }
}

@Resolver(() => VolunteerProfile)
export class VolunteerResolver {
  @Authorized('RESIDENT')
  @Query(() => VolunteerProfile, { nullable: true })
  async myVolunteerProfile(@Ctx() ctx: Context): Promise<VolunteerProfile | null> {
    const caller = requireCaller(ctx.caller);
    if (!hasRole(caller, 'RESIDENT') || !isUuid(caller.sub)) return null;
    return profileOf(ctx.rt, caller.sub);
  }

  @Authorized()
  @Query(() => [HoursRecord], { description: "a volunteer's hours records, newest first: the resident themself, city-wide callers, officials of their division" })
  volunteerHours(@Arg('residentId', () => ID) residentId: string, @Ctx() ctx: Context, @Arg('first', () => Int, { nullable: true }) first?: number): Promise<HoursRecord[]> {
    return readHours(ctx.rt, requireCaller(ctx.caller), residentId, first ?? 50);
  }

  @Authorized('RESIDENT', 'TOWN_OFFICIAL', 'VILLAGE_REGISTRAR')
  @Mutation(() => VolunteerProfile)
  async registerVolunteer(@Arg('residentId', () => ID) residentId: string, @Ctx() ctx: Context, @Arg('skills', () => [String], { nullable: true }) skills?: string[]): Promise<VolunteerProfile> {
    return withReadThrough(() => registerVolunteer(ctx.rt, requireCaller(ctx.caller), residentId, skills), () => ensureResidents(ctx, [residentId]));
  }

  @Authorized('TOWN_OFFICIAL')
  @Mutation(() => VolunteerProfile, { description: 'hours entered by an administrator: they count for stars and earn no points' })
  recordAdministratorHours(
    @Arg('residentId', () => ID) residentId: string,
    @Arg('hours', () => Float) hours: number,
    @Arg('idempotencyKey') idempotencyKey: string,
    @Ctx() ctx: Context,
    @Arg('note', () => String, { nullable: true }) note?: string,
  ): Promise<VolunteerProfile> {
    return recordAdministratorHours(ctx.rt, requireCaller(ctx.caller), residentId, hours, note, idempotencyKey);
  }

  @Authorized('RESIDENT')
  @Mutation(() => VolunteerProfile, { description: 'points to a member of the same household; a retry with the same key moves them once' })
  async givePoints(
    @Arg('toResidentId', () => ID) toResidentId: string,
    @Arg('points', () => Int) points: number,
    @Arg('idempotencyKey') idempotencyKey: string,
    @Ctx() ctx: Context,
  ): Promise<VolunteerProfile> {
    return profileOf(ctx.rt, await givePoints(ctx.rt, requireCaller(ctx.caller), toResidentId, points, idempotencyKey));
  }

  @Authorized('RESIDENT')
  @Mutation(() => VolunteerProfile, { description: "points to the city's elderly pool; final" })
  async donatePoints(@Arg('points', () => Int) points: number, @Arg('idempotencyKey') idempotencyKey: string, @Ctx() ctx: Context): Promise<VolunteerProfile> {
    return profileOf(ctx.rt, await donatePoints(ctx.rt, requireCaller(ctx.caller), points, idempotencyKey));
  }
}
