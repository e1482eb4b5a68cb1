import { eventVersionsMigration } from '@citypoints/events';

const S = 'social_organisations';

/**
 * Events carry their aggregate's version: the organisation projection keeps the highest per field
 * group, and memberships and credit records are kept as facts so member effects can be derived
 * from them whichever arrives first.
 */
export class EventVersions1764900000000 extends eventVersionsMigration(S, {
  up: [
    `ALTER TABLE "${S}".organisations ADD COLUMN versions jsonb NOT NULL DEFAULT '{}'`,
    // the latest membership fact per pair (registry versions memberships per organisation)
    `CREATE TABLE "${S}".membership_facts (
      organisation_uscc text NOT NULL,
      enterprise_uscc text NOT NULL,
      member boolean NOT NULL,
      version bigint NOT NULL,
      PRIMARY KEY (organisation_uscc, enterprise_uscc)
    )`,
    `INSERT INTO "${S}".membership_facts (organisation_uscc, enterprise_uscc, member, version)
      SELECT organisation_uscc, enterprise_uscc, true, 0 FROM "${S}".memberships`,
    `CREATE TABLE "${S}".credit_record_facts (
      record_id text PRIMARY KEY,
      uscc text NOT NULL,
      kind text NOT NULL,
      -- unknown while only the repair has arrived
      occurred_on date,
      repaired_at timestamptz
    )`,
    `CREATE INDEX credit_record_facts_uscc ON "${S}".credit_record_facts (uscc)`,
  ],
  down: [`DROP TABLE "${S}".credit_record_facts`, `DROP TABLE "${S}".membership_facts`, `ALTER TABLE "${S}".organisations DROP COLUMN versions`],
}) {
  name = 'EventVersions1764900000000';
}
