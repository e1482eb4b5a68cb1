import type { SubgraphModule } from '@citypoints/federation';
import { registry } from '@citypoints/registry';
import { settlement } from '@citypoints/settlement';
import { civic } from '@citypoints/civic';
import { enterpriseCredit } from '@citypoints/enterprise-credit';
import { socialOrganisations } from '@citypoints/social-organisations';
import { volunteering } from '@citypoints/volunteering';

/** The subgraphs that make up the city, in start order (registry first: the others extend it). */
export const CITY: SubgraphModule[] = [registry, settlement, civic, enterpriseCredit, socialOrganisations, volunteering];
