import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Ctx as Context } from '../runtime';
import { requireRole } from '@citypoints/auth';
import { parseUscc } from '@citypoints/kit';
import { Division } from '../divisions/division.type';
import { divisionLoader } from '../divisions/division.service';
import { Enterprise, RegisterEnterpriseInput } from './enterprise.type';
import { enterpriseLoader, registerEnterprise } from './enterprise.service';

@Resolver(() => Enterprise)
export class EnterpriseResolver {
  @Authorized()
  @Query(() => Enterprise, { nullable: true })
  enterprise(@Arg('uscc', () => ID) uscc: string, @Ctx() ctx: Context): Promise<Enterprise | null> {
    return enterpriseLoader(ctx).load(parseUscc(uscc));
  }

  @FieldResolver(() => Division)
  division(@Root() e: Enterprise, @Ctx() ctx: Context): Promise<Division | null> {
    return divisionLoader(ctx).load(e.divisionCode);
  }

  @Authorized('CITY_ADMIN', 'TOWN_OFFICIAL')
  @Mutation(() => Enterprise)
  registerEnterprise(@Arg('input') input: RegisterEnterpriseInput, @Ctx() ctx: Context): Promise<Enterprise> {
    return registerEnterprise(ctx.rt, requireRole(ctx.caller, 'CITY_ADMIN', 'TOWN_OFFICIAL'), input);
  }
}

export const enterpriseReference = {
  __resolveReference: (ref: { uscc: string }, ctx: Context) => enterpriseLoader(ctx).load(ref.uscc),
};
