import { buildFederatedSchema, type FederatedSchema } from '@citypoints/federation';
import { AdmissionRunResolver, RankingResolver, SchoolApplicationResolver, SchoolCutoffResolver } from './admission/application.resolver';
import { DivisionRef } from './divisions/division.ref';
import { HouseholdApplicationResolver } from './household/household.resolver';
import { ResidentRef } from './residents/resident.ref';
import { residentReference, ResidentSettlementFieldResolver, ResidentSettlementResolver } from './residents/resident.resolver';
import { SchemeResolver } from './schemes/scheme.resolver';
import { SchoolResolver } from './schools/school.resolver';
import { TalentCardResolver } from './talent/talent.resolver';
import { AdmissionLookupResolver } from './lookup/lookup.resolver';
import { CutoffChangeResolver, SchemeSimulationResolver, SimulationMoverResolver } from './simulation/simulation.resolver';

export function buildSettlementSchema(): Promise<FederatedSchema> {
  return buildFederatedSchema({
    resolvers: [
      SchemeResolver,
      SchoolResolver,
      SchoolApplicationResolver,
      AdmissionRunResolver,
      RankingResolver,
      SchoolCutoffResolver,
      HouseholdApplicationResolver,
      TalentCardResolver,
      ResidentSettlementFieldResolver,
      ResidentSettlementResolver,
      AdmissionLookupResolver,
      SchemeSimulationResolver,
      SimulationMoverResolver,
      CutoffChangeResolver,
    ],
    orphanedTypes: [ResidentRef, DivisionRef],
    referenceResolvers: { Resident: residentReference },
  });
}
