import 'reflect-metadata';
import { runSubgraphServer } from '../../../infra/src/process';
import { socialOrganisations } from './index';

runSubgraphServer(socialOrganisations);
