import type { SubgraphModule } from '@citypoints/federation';
import { registry } from '@citypoints/registry';

/** The subgraphs that make up the city, in start order (registry first: the others extend it). */
export const CITY: SubgraphModule[] = [registry];
