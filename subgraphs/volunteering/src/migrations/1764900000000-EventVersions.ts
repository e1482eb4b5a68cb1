import { eventVersionsMigration } from '@citypoints/events';

const S = 'volunteering';

/** Events carry their aggregate's version; the resident projection keeps the highest per field group instead of timestamps. */
export class EventVersions1764900000000 extends eventVersionsMigration(S, {
  up: [`ALTER TABLE "${S}".residents ADD COLUMN versions jsonb NOT NULL DEFAULT '{}', DROP COLUMN state_at, DROP COLUMN household_at`],
  down: [`ALTER TABLE "${S}".residents DROP COLUMN versions, ADD COLUMN state_at timestamptz, ADD COLUMN household_at timestamptz`],
}) {
  name = 'EventVersions1764900000000';
}
