import { eventVersionsMigration } from '@citypoints/events';

const S = 'civic';

/** Events carry their aggregate's version; the resident projection keeps the highest per field group instead of a timestamp. */
export class EventVersions1764900000000 extends eventVersionsMigration(S, {
  up: [`ALTER TABLE "${S}".residents ADD COLUMN versions jsonb NOT NULL DEFAULT '{}', DROP COLUMN updated_at`],
  down: [`ALTER TABLE "${S}".residents DROP COLUMN versions, ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()`],
}) {
  name = 'EventVersions1764900000000';
}
