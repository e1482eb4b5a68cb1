import { buildFederatedSchema, type FederatedSchema } from '@citypoints/federation';
import { GradingListResolver, GradingResolver, organisationReference } from './grading/grading.resolver';
import { SocialOrganisationRef } from './grading/grading.type';
import { IndicatorResolver } from './indicators/indicator.resolver';
import { CreditResolver } from './credit/credit.resolver';
import { SchemeResolver } from './scheme/scheme.resolver';

export function buildSocialOrganisationsSchema(): Promise<FederatedSchema> {
  return buildFederatedSchema({
    resolvers: [GradingResolver, GradingListResolver, IndicatorResolver, CreditResolver, SchemeResolver],
    orphanedTypes: [SocialOrganisationRef],
    referenceResolvers: { SocialOrganisation: organisationReference },
  });
}
