import type { MigrationInterface, QueryRunner } from 'typeorm';
import { isSealed, openSecret, sealSecret } from '../alerts/webhook.secrets';

const S = 'enterprise_credit';

/**
 * Encrypts the webhook secrets stored in plain text (AES-256-GCM, the key from
 * WEBHOOK_SECRET_KEY). The key is not in the code, so the migration class is made for it.
 */
export function sealWebhookSecretsMigration(key: Buffer): new () => MigrationInterface {
  return class SealWebhookSecrets1764500000200 implements MigrationInterface {
    name = 'SealWebhookSecrets1764500000200';

    async up(q: QueryRunner): Promise<void> {
      const rows: { id: string; secret: string }[] = await q.query(`SELECT id, secret FROM "${S}".alert_webhooks ORDER BY id FOR UPDATE`);
      for (const r of rows) {
        if (isSealed(r.secret)) continue;
        await q.query(`UPDATE "${S}".alert_webhooks SET secret = $2 WHERE id = $1`, [r.id, sealSecret(key, r.id, r.secret)]);
      }
      await q.query(`ALTER TABLE "${S}".alert_webhooks ADD CONSTRAINT alert_webhooks_secret_sealed CHECK (secret LIKE 'gcm1:%')`);
    }

    async down(q: QueryRunner): Promise<void> {
      await q.query(`ALTER TABLE "${S}".alert_webhooks DROP CONSTRAINT alert_webhooks_secret_sealed`);
      const rows: { id: string; secret: string }[] = await q.query(`SELECT id, secret FROM "${S}".alert_webhooks ORDER BY id FOR UPDATE`);
      for (const r of rows) await q.query(`UPDATE "${S}".alert_webhooks SET secret = $2 WHERE id = $1`, [r.id, openSecret(key, r.id, r.secret)]);
    }
  };
}
