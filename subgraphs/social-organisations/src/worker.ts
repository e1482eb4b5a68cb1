import 'reflect-metadata';
import { runSubgraphWorker } from '../../../infra/src/process';
import { socialOrganisations } from './index';

runSubgraphWorker(socialOrganisations);
