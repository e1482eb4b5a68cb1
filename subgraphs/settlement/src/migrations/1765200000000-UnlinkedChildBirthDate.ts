import type { MigrationInterface, QueryRunner } from 'typeorm';

const S = 'settlement';

/**
 * Registry's resident events no longer carry a masked ID number (with the birth date it spelled
 * the whole number): a registration finds the applications that may name the resident as their
 * child by the birth date their child's ID number holds, and registry's signed lookup decides.
 */
export class UnlinkedChildBirthDate1765200000000 implements MigrationInterface {
  name = 'UnlinkedChildBirthDate1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "${S}".school_applications_unlinked_child`);
    await q.query(`CREATE INDEX school_applications_unlinked_child ON "${S}".school_applications (substr(child_id_number, 7, 8)) WHERE child_resident_id IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "${S}".school_applications_unlinked_child`);
    await q.query(`CREATE INDEX school_applications_unlinked_child ON "${S}".school_applications (child_id_number) WHERE child_resident_id IS NULL`);
  }
}
