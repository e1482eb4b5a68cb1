import type { MigrationInterface, QueryRunner } from 'typeorm';

const S = 'settlement';

/**
 * The child of a school application as a resident of the city's records (docs/domain/01-school-admission.md,
 * "Verified from the city's own records"): registry's resident id of the child's ID number, asked of
 * registry at submission; null while registry knows no resident with it. Lines a scheme declares
 * verified from the CHILD's records count this resident's facts.
 */
export class ChildResident1765100000000 implements MigrationInterface {
  name = 'ChildResident1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "${S}".school_applications ADD COLUMN child_resident_id uuid`);
    await q.query(`CREATE INDEX school_applications_child_resident ON "${S}".school_applications (child_resident_id) WHERE child_resident_id IS NOT NULL`);
    // a resident's registration finds the applications waiting for them as a child
    await q.query(`CREATE INDEX school_applications_unlinked_child ON "${S}".school_applications (child_id_number) WHERE child_resident_id IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "${S}".school_applications_unlinked_child`);
    await q.query(`DROP INDEX "${S}".school_applications_child_resident`);
    await q.query(`ALTER TABLE "${S}".school_applications DROP COLUMN child_resident_id`);
  }
}
