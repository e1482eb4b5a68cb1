import { buildFederatedSchema, type FederatedSchema } from '@citypoints/federation';
import { NeedResolver } from './needs/need.resolver';
import { DivisionRef, residentReference } from './residents/resident.reference';
import { ResidentVolunteerResolver, VolunteerResolver } from './volunteers/volunteer.resolver';

export function buildVolunteeringSchema(): Promise<FederatedSchema> {
  return buildFederatedSchema({
    resolvers: [NeedResolver, VolunteerResolver, ResidentVolunteerResolver],
    orphanedTypes: [DivisionRef],
    referenceResolvers: { Resident: residentReference },
  });
}
