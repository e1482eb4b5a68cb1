import { SUBGRAPHS } from '@citypoints/config';
import type { SubgraphModule } from '@citypoints/federation';
import { registry } from '@citypoints/registry';
import { settlement } from '@citypoints/settlement';
import { civic } from '@citypoints/civic';
import { enterpriseCredit } from '@citypoints/enterprise-credit';
import { socialOrganisations } from '@citypoints/social-organisations';
import { volunteering } from '@citypoints/volunteering';

/**
 * The subgraphs that make up the city, in start order (registry first: the others extend it).
 * Only the processes that host subgraphs import this; the gateway knows them by configuration.
 */
export const CITY: SubgraphModule[] = [registry, settlement, civic, enterpriseCredit, socialOrganisations, volunteering];

const configured = SUBGRAPHS.map((s) => `${s.name}:${s.portVariable}`).join(',');
const hosted = CITY.map((m) => `${m.name}:${m.portVariable}`).join(',');
if (configured !== hosted) throw new Error(`the city's subgraphs (${hosted}) differ from @citypoints/config's SUBGRAPHS (${configured})`);
