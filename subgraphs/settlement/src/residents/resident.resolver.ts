import { FieldResolver, ObjectType, Resolver, Root } from 'type-graphql';
import { forbidden } from '@citypoints/kit';
import { HUKOU_OFFICIALS, SCHOOL_OFFICIALS, seesInFull } from '../access';
import { SchoolApplication } from '../admission/application.type';
import { applicationsByParentLoader } from '../admission/application.service';
import { HouseholdApplication } from '../household/household.type';
import { householdByApplicantLoader } from '../household/household.service';
import { TalentCard } from '../talent/talent.type';
import { talentCardLoader } from '../talent/talent.service';
import { ResidentRef } from './resident.ref';
import { residentFactsLoader } from './resident.projection';
import { Ctx } from '../runtime';

@ObjectType()
export class ResidentSettlement {
  residentId: string;
  divisionCode: string;
}

@Resolver(() => ResidentRef)
export class ResidentSettlementFieldResolver {
  @FieldResolver(() => ResidentSettlement, {
    nullable: true,
    description: 'household and school applications and talent card; the resident themself, officials of their division and city-wide callers',
  })
  async settlement(@Root() r: ResidentRef, @Ctx() ctx: Ctx): Promise<ResidentSettlement | null> {
    const facts = await residentFactsLoader(ctx).load(r.id);
    if (!facts) return null;
    if (!seesInFull(ctx.caller, facts.id, facts.divisionCode)) throw forbidden('a resident’s settlement record is theirs and their officials’ to see');
    return { residentId: facts.id, divisionCode: facts.divisionCode };
  }
}

@Resolver(() => ResidentSettlement)
export class ResidentSettlementResolver {
  @FieldResolver(() => [HouseholdApplication], { description: 'the resident, city-wide callers (department reads audited), the town official and hukou officers of their division' })
  householdApplications(@Root() s: ResidentSettlement, @Ctx() ctx: Ctx): Promise<HouseholdApplication[]> {
    if (!seesInFull(ctx.caller, s.residentId, s.divisionCode, HUKOU_OFFICIALS)) throw forbidden('household applications are for their applicant and the hukou officials of the division');
    return householdByApplicantLoader(ctx).load(s.residentId);
  }

  @FieldResolver(() => [SchoolApplication], { description: 'the resident, city-wide callers (department reads audited), the town official and education officers of their division' })
  schoolApplications(@Root() s: ResidentSettlement, @Ctx() ctx: Ctx): Promise<SchoolApplication[]> {
    if (!seesInFull(ctx.caller, s.residentId, s.divisionCode, SCHOOL_OFFICIALS)) throw forbidden('school applications are for the parent and the education officials of the division');
    return applicationsByParentLoader(ctx).load(s.residentId);
  }

  @FieldResolver(() => TalentCard, { nullable: true, description: 'the holder, city-wide callers (department reads audited), the town official and hukou officers of their division' })
  talentCard(@Root() s: ResidentSettlement, @Ctx() ctx: Ctx): Promise<TalentCard | null> {
    if (!seesInFull(ctx.caller, s.residentId, s.divisionCode, HUKOU_OFFICIALS)) throw forbidden('a talent card is for its holder and the hukou officials of the division');
    return talentCardLoader(ctx).load(s.residentId);
  }
}

export const residentReference = {
  __resolveReference: (ref: { id: string }): ResidentRef => ({ id: ref.id }),
};

