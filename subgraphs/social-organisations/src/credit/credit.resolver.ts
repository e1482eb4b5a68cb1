import { Arg, Authorized, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import type { Ctx as Context } from '../runtime';
import { OrganisationCreditCheck, OrganisationCreditPurpose } from './credit.type';
import { checkOrganisationCredit } from './credit.service';

@Resolver()
export class CreditResolver {
  @Authorized('CITY_ADMIN', 'DEPARTMENT_ANALYST', 'DATA_FEED', 'TOWN_OFFICIAL', 'REGULATOR')
  @Query(() => OrganisationCreditCheck, { description: 'whether an organisation may be engaged for a purpose, and whether it has priority' })
  organisationCreditCheck(
    @Arg('uscc', () => ID) uscc: string,
    @Arg('purpose', () => OrganisationCreditPurpose) purpose: OrganisationCreditPurpose,
    @Arg('year', () => Int, { nullable: true }) year: number | null,
    @Ctx() ctx: Context,
  ): Promise<OrganisationCreditCheck> {
    return checkOrganisationCredit(ctx.rt, uscc, purpose, year ?? null);
  }
}
