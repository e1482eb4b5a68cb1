import { buildFederatedSchema, type FederatedSchema } from '@citypoints/federation';
import { AlertResolver } from './alerts/alert.resolver';
import { CreditListResolver, CreditResolver } from './credit/credit.resolver';
import { EnterpriseCreditResolver, EnterpriseRef, enterpriseReference } from './enterprises/enterprise.reference';
import { LabourResolver, LabourRiskSchemeResolver } from './labour/labour.resolver';

export function buildEnterpriseCreditSchema(): Promise<FederatedSchema> {
  return buildFederatedSchema({
    resolvers: [CreditResolver, CreditListResolver, LabourResolver, LabourRiskSchemeResolver, AlertResolver, EnterpriseCreditResolver],
    orphanedTypes: [EnterpriseRef],
    referenceResolvers: { Enterprise: enterpriseReference },
  });
}
