import type { MigrationInterface, QueryRunner } from 'typeorm';
import { newCardNumber } from '../cards/card-number';

const S = 'civic';
const BATCH = 5000;

/**
 * Holder consent for redemptions (docs/domain/04-civic-cards.md): one-time codes the holder issues, merchants
 * registered with their town, and card numbers that cannot be guessed. Cards numbered from the
 * old sequence get a random number; the old number stays resolvable for a year through
 * `card_aliases`.
 */
export class HolderConsent1764600000000 implements MigrationInterface {
  name = 'HolderConsent1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "${S}".merchants (
      merchant_id text PRIMARY KEY CHECK (merchant_id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
      town_code text NOT NULL CHECK (town_code ~ '^[0-9]{9}$'),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      registered_by text NOT NULL,
      registered_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX merchants_town ON "${S}".merchants (town_code)`);

    // card numbers change below: everything that names a card follows it
    await q.query(`ALTER TABLE "${S}".records DROP CONSTRAINT records_card_no_fkey,
      ADD CONSTRAINT records_card_no_fkey FOREIGN KEY (card_no) REFERENCES "${S}".cards(card_no) ON UPDATE CASCADE`);
    await q.query(`ALTER TABLE "${S}".redemptions DROP CONSTRAINT redemptions_card_no_fkey,
      ADD CONSTRAINT redemptions_card_no_fkey FOREIGN KEY (card_no) REFERENCES "${S}".cards(card_no) ON UPDATE CASCADE`);

    await q.query(`CREATE TABLE "${S}".redemption_codes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      card_no text NOT NULL REFERENCES "${S}".cards(card_no) ON UPDATE CASCADE,
      code_hash text NOT NULL,
      issued_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      used_by text,
      CHECK (expires_at > issued_at)
    )`);
    await q.query(`CREATE INDEX redemption_codes_live ON "${S}".redemption_codes (card_no, expires_at) WHERE used_at IS NULL`);
    await q.query(`ALTER TABLE "${S}".redemptions ADD COLUMN holder_code_id uuid UNIQUE REFERENCES "${S}".redemption_codes(id)`);

    await q.query(`CREATE TABLE "${S}".card_aliases (
      old_no text PRIMARY KEY,
      card_no text NOT NULL REFERENCES "${S}".cards(card_no) ON UPDATE CASCADE,
      valid_until timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX card_aliases_card ON "${S}".card_aliases (card_no)`);
    await this.renumber(q);
    await q.query(`DROP SEQUENCE "${S}".card_numbers`);
  }

  /** Gives every card of the old sequential format a random number, keeping the old one as an alias for a year. */
  private async renumber(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TEMPORARY TABLE card_renumbering (old_no text PRIMARY KEY, new_no text NOT NULL UNIQUE) ON COMMIT DROP`);
    const draw = (old: { card_no: string }[]) =>
      q.query(`INSERT INTO card_renumbering (old_no, new_no) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`, [
        old.map((c) => c.card_no),
        old.map(() => newCardNumber()),
      ]);
    let after = '';
    for (;;) {
      const old: { card_no: string }[] = await q.query(
        `SELECT card_no FROM "${S}".cards WHERE card_no !~ '^4419[0-9]{12}$' AND card_no > $1 ORDER BY card_no LIMIT ${BATCH}`,
        [after],
      );
      if (!old.length) break;
      await draw(old);
      after = old[old.length - 1].card_no;
    }
    // a new number drawn twice was left out above: those cards draw again until none is left
    for (;;) {
      const left: { card_no: string }[] = await q.query(
        `SELECT c.card_no FROM "${S}".cards c WHERE c.card_no !~ '^4419[0-9]{12}$'
            AND NOT EXISTS (SELECT 1 FROM card_renumbering r WHERE r.old_no = c.card_no) LIMIT ${BATCH}`,
      );
      if (!left.length) break;
      await draw(left);
    }
    await q.query(`UPDATE "${S}".cards c SET card_no = r.new_no FROM card_renumbering r WHERE c.card_no = r.old_no`);
    await q.query(`INSERT INTO "${S}".card_aliases (old_no, card_no, valid_until) SELECT old_no, new_no, now() + interval '1 year' FROM card_renumbering`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE "${S}".card_numbers`);
    // cards numbered after this migration keep their random numbers; renumbered ones get their old number back
    await q.query(`UPDATE "${S}".cards c SET card_no = a.old_no FROM "${S}".card_aliases a WHERE a.card_no = c.card_no`);
    await q.query(`SELECT setval('"${S}".card_numbers', coalesce((SELECT max(substr(card_no, 5)::bigint) FROM "${S}".cards WHERE card_no ~ '^4419[0-9]{8}$'), 0) + 1, false)`);
    await q.query(`DROP TABLE "${S}".card_aliases`);
    await q.query(`ALTER TABLE "${S}".redemptions DROP COLUMN holder_code_id`);
    await q.query(`DROP TABLE "${S}".redemption_codes`);
    await q.query(`ALTER TABLE "${S}".redemptions DROP CONSTRAINT redemptions_card_no_fkey,
      ADD CONSTRAINT redemptions_card_no_fkey FOREIGN KEY (card_no) REFERENCES "${S}".cards(card_no)`);
    await q.query(`ALTER TABLE "${S}".records DROP CONSTRAINT records_card_no_fkey,
      ADD CONSTRAINT records_card_no_fkey FOREIGN KEY (card_no) REFERENCES "${S}".cards(card_no)`);
    await q.query(`DROP TABLE "${S}".merchants`);
  }
}
