import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { DateScalar } from '@citypoints/federation';
import type { Ctx as Context } from '../runtime';
import { forbidden } from '@citypoints/kit';
import { requireRole } from '@citypoints/auth';
import { Division } from '../divisions/division.type';
import { divisionLoader } from '../divisions/division.service';
import { HukouStatus, RegisterResidentInput, Resident, UpdateResidentInput } from './resident.type';
import { displayName, registerResident, residentByIdNumber, residentLoader, updateResident } from './resident.service';

@Resolver(() => Resident)
export class ResidentResolver {
  @Authorized()
  @Query(() => Resident, { nullable: true })
  resident(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Resident | null> {
    return residentLoader(ctx).load(id);
  }

  @Authorized()
  @Query(() => Resident, { nullable: true })
  residentByIdNumber(@Arg('idNumber') idNumber: string, @Ctx() ctx: Context): Promise<Resident | null> {
    return residentByIdNumber(ctx, idNumber);
  }

  @FieldResolver(() => String, { description: 'masked (张*明) unless the caller may see it in full' })
  name(@Root() r: Resident): string {
    return displayName(r);
  }

  @FieldResolver(() => String, { description: '441900********123X' })
  idNumberMasked(@Root() r: Resident): string {
    if (r.access === 'masked') throw forbidden('the ID number is personal data this caller may not see');
    return r.idNumberMasked;
  }

  @FieldResolver(() => HukouStatus)
  hukou(@Root() r: Resident): HukouStatus {
    if (r.access === 'masked') throw forbidden('the hukou status is personal data this caller may not see');
    return r.hukou;
  }

  @FieldResolver(() => DateScalar)
  birthDate(@Root() r: Resident): string {
    if (r.access === 'masked') throw forbidden('the birth date is personal data this caller may not see');
    return r.birth;
  }

  @FieldResolver(() => Division)
  division(@Root() r: Resident, @Ctx() ctx: Context): Promise<Division | null> {
    return divisionLoader(ctx).load(r.divisionCode);
  }

  @Authorized('CITY_ADMIN', 'TOWN_OFFICIAL', 'VILLAGE_REGISTRAR')
  @Mutation(() => Resident)
  registerResident(@Arg('input') input: RegisterResidentInput, @Ctx() ctx: Context): Promise<Resident> {
    return registerResident(ctx.rt, requireRole(ctx.caller, 'CITY_ADMIN', 'TOWN_OFFICIAL', 'VILLAGE_REGISTRAR'), input);
  }

  @Authorized('CITY_ADMIN', 'TOWN_OFFICIAL', 'VILLAGE_REGISTRAR')
  @Mutation(() => Resident, { description: 'name, hukou, division or household of a resident; published to the other subgraphs' })
  updateResident(@Arg('id', () => ID) id: string, @Arg('input') input: UpdateResidentInput, @Ctx() ctx: Context): Promise<Resident> {
    return updateResident(ctx.rt, requireRole(ctx.caller, 'CITY_ADMIN', 'TOWN_OFFICIAL', 'VILLAGE_REGISTRAR'), id, input);
  }
}

export const residentReference = {
  __resolveReference: (ref: { id: string }, ctx: Context) => residentLoader(ctx).load(ref.id),
};
