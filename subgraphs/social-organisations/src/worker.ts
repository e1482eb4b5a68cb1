import 'reflect-metadata';
import { runSubgraphWorker } from '@citypoints/process';
import { socialOrganisations } from './index';

runSubgraphWorker(socialOrganisations);
