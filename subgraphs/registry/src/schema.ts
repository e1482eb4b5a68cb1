import { buildFederatedSchema, type FederatedSchema } from '@citypoints/federation';
import { DivisionResolver, divisionReference } from './divisions/division.resolver';
import { ResidentResolver, residentReference } from './residents/resident.resolver';
import { EnterpriseResolver, enterpriseReference } from './enterprises/enterprise.resolver';
import { MyDataResolver } from './my-data/my-data.resolver';
import { OrganisationResolver, organisationReference } from './organisations/organisation.resolver';

export function buildRegistrySchema(): Promise<FederatedSchema> {
  return buildFederatedSchema({
    resolvers: [DivisionResolver, ResidentResolver, EnterpriseResolver, OrganisationResolver, MyDataResolver],
    referenceResolvers: {
      Division: divisionReference,
      Resident: residentReference,
      Enterprise: enterpriseReference,
      SocialOrganisation: organisationReference,
    },
  });
}
