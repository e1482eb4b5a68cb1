import 'reflect-metadata';
import { runSubgraphServer } from '../../../infra/src/process';
import { volunteering } from './index';

runSubgraphServer(volunteering);
