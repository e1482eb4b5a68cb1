import { buildFederatedSchema, type FederatedSchema } from '@citypoints/federation';
import { NeedResolver } from './needs/need.resolver';
import { DivisionRef, residentReference } from './residents/resident.reference';
import { SchemeResolver } from './scheme/scheme.resolver';
import { ResidentVolunteerResolver, VolunteerResolver } from './volunteers/volunteer.resolver';

export function buildVolunteeringSchema(): Promise<FederatedSchema> {
  return buildFederatedSchema({
    resolvers: [NeedResolver, VolunteerResolver, ResidentVolunteerResolver, SchemeResolver],
    orphanedTypes: [DivisionRef],
    referenceResolvers: { Resident: residentReference },
  });
}
