import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** `gcm1:<iv>:<tag>:<ciphertext>`, base64url; the webhook's id is the additional data. */
const PREFIX = 'gcm1:';

export const isSealed = (stored: string) => stored.startsWith(PREFIX);

/** AES-256-GCM with a fresh IV; bound to the webhook id, so a ciphertext moved to another row fails to open. */
export function sealSecret(key: Buffer, webhookId: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(webhookId, 'utf8'));
  const ct = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return PREFIX + [iv, cipher.getAuthTag(), ct].map((b) => b.toString('base64url')).join(':');
}

export function openSecret(key: Buffer, webhookId: string, stored: string): string {
  if (!isSealed(stored)) throw new Error('webhook secret is not encrypted');
  const [iv, tag, ct] = stored.slice(PREFIX.length).split(':').map((p) => Buffer.from(p, 'base64url'));
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(webhookId, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
}
