import 'reflect-metadata';
import { runSubgraphServer } from '@citypoints/process';
import { volunteering } from './index';

runSubgraphServer(volunteering);
