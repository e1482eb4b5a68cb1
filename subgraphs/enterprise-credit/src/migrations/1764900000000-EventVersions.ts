import { eventVersionsMigration } from '@citypoints/events';

const S = 'enterprise_credit';

/** Events carry their aggregate's version; the enterprise projection keeps the highest per field group. */
export class EventVersions1764900000000 extends eventVersionsMigration(S, {
  up: [`ALTER TABLE "${S}".enterprises ADD COLUMN versions jsonb NOT NULL DEFAULT '{}'`],
  down: [`ALTER TABLE "${S}".enterprises DROP COLUMN versions`],
}) {
  name = 'EventVersions1764900000000';
}
