import 'reflect-metadata';
import { runSubgraphServer } from '../../../infra/src/process';
import { civic } from './index';

runSubgraphServer(civic);
