import { FieldResolver, ObjectType, Resolver, Root } from 'type-graphql';
import { forbidden } from '@citypoints/kit';
import { seesInFull } from '../access';
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
    return { residentId: facts.id };
  }
}

@Resolver(() => ResidentSettlement)
export class ResidentSettlementResolver {
  @FieldResolver(() => [HouseholdApplication])
  householdApplications(@Root() s: ResidentSettlement, @Ctx() ctx: Ctx): Promise<HouseholdApplication[]> {
    return householdByApplicantLoader(ctx).load(s.residentId);
  }

  @FieldResolver(() => [SchoolApplication])
  schoolApplications(@Root() s: ResidentSettlement, @Ctx() ctx: Ctx): Promise<SchoolApplication[]> {
    return applicationsByParentLoader(ctx).load(s.residentId);
  }

  @FieldResolver(() => TalentCard, { nullable: true })
  talentCard(@Root() s: ResidentSettlement, @Ctx() ctx: Ctx): Promise<TalentCard | null> {
    return talentCardLoader(ctx).load(s.residentId);
  }
}

export const residentReference = {
  __resolveReference: (ref: { id: string }): ResidentRef => ({ id: ref.id }),
};

