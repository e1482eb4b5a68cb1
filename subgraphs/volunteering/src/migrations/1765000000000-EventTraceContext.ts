import { eventTraceMigration } from '@citypoints/events';

/** Each event keeps the trace context of the request that published it, for its consumers to continue. */
export class EventTraceContext1765000000000 extends eventTraceMigration('volunteering') {
  name = 'EventTraceContext1765000000000';
}
