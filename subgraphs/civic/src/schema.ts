import { buildFederatedSchema, type FederatedSchema } from '@citypoints/federation';
import { CivicCardResolver, ResidentCivicResolver, residentReference } from './cards/card.resolver';
import { BehaviourItemResolver } from './items/item.resolver';
import { CivicRecordResolver } from './records/record.resolver';
import { RewardResolver } from './rewards/reward.resolver';
import { ExchangeResolver } from './exchange/exchange.resolver';
import { CardYearResolver, RhythmResolver } from './rhythm/rhythm.resolver';
import { RulesResolver } from './rules/rules.resolver';
import { GreenResolver } from './green/green.resolver';
import { ResidentRef } from './residents/resident.type';

export function buildCivicSchema(): Promise<FederatedSchema> {
  return buildFederatedSchema({
    resolvers: [CivicCardResolver, ResidentCivicResolver, BehaviourItemResolver, CivicRecordResolver, RewardResolver, ExchangeResolver, RhythmResolver, CardYearResolver, RulesResolver, GreenResolver],
    orphanedTypes: [ResidentRef],
    referenceResolvers: { Resident: residentReference },
  });
}
