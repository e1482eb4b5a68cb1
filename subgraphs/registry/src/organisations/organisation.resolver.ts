import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Ctx as Context } from '../runtime';
import { requireRole } from '@citypoints/auth';
import { parseUscc } from '@citypoints/kit';
import { Division } from '../divisions/division.type';
import { divisionLoader } from '../divisions/division.service';
import { Enterprise } from '../enterprises/enterprise.type';
import { enterpriseLoader } from '../enterprises/enterprise.service';
import { RegisterSocialOrganisationInput, SocialOrganisation } from './organisation.type';
import { addMember, membersLoader, organisationLoader, registerOrganisation } from './organisation.service';

@Resolver(() => SocialOrganisation)
export class OrganisationResolver {
  @Authorized()
  @Query(() => SocialOrganisation, { nullable: true })
  socialOrganisation(@Arg('uscc', () => ID) uscc: string, @Ctx() ctx: Context): Promise<SocialOrganisation | null> {
    return organisationLoader(ctx).load(parseUscc(uscc));
  }

  @FieldResolver(() => Division)
  division(@Root() o: SocialOrganisation, @Ctx() ctx: Context): Promise<Division | null> {
    return divisionLoader(ctx).load(o.divisionCode);
  }

  @FieldResolver(() => [Enterprise])
  async members(@Root() o: SocialOrganisation, @Ctx() ctx: Context): Promise<Enterprise[]> {
    const ids = await membersLoader(ctx).load(o.uscc);
    const list = await enterpriseLoader(ctx).loadMany(ids);
    return list.filter((e): e is Enterprise => !!e && !(e instanceof Error));
  }

  @Authorized('CITY_ADMIN', 'TOWN_OFFICIAL')
  @Mutation(() => SocialOrganisation)
  registerSocialOrganisation(@Arg('input') input: RegisterSocialOrganisationInput, @Ctx() ctx: Context): Promise<SocialOrganisation> {
    return registerOrganisation(ctx.rt, requireRole(ctx.caller, 'CITY_ADMIN', 'TOWN_OFFICIAL'), input);
  }

  @Authorized('CITY_ADMIN', 'TOWN_OFFICIAL')
  @Mutation(() => SocialOrganisation)
  addOrganisationMember(
    @Arg('organisationUscc', () => ID) organisationUscc: string,
    @Arg('enterpriseUscc', () => ID) enterpriseUscc: string,
    @Ctx() ctx: Context,
  ): Promise<SocialOrganisation> {
    return addMember(ctx.rt, requireRole(ctx.caller, 'CITY_ADMIN', 'TOWN_OFFICIAL'), organisationUscc, enterpriseUscc);
  }
}

export const organisationReference = {
  __resolveReference: (ref: { uscc: string }, ctx: Context) => organisationLoader(ctx).load(ref.uscc),
};
