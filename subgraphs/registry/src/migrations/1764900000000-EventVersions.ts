import { eventVersionsMigration } from '@citypoints/events';

/** Every event this subgraph publishes carries its aggregate's version. */
export class EventVersions1764900000000 extends eventVersionsMigration('registry') {
  name = 'EventVersions1764900000000';
}
