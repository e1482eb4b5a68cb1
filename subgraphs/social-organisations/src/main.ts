import 'reflect-metadata';
import { runSubgraphServer } from '@citypoints/process';
import { socialOrganisations } from './index';

runSubgraphServer(socialOrganisations);
