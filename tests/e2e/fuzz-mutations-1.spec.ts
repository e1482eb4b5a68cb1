import { fuzzMutations } from './fuzz-mutations';

fuzzMutations(1, 2);
