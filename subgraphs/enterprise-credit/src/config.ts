import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Tunables of this subgraph's jobs and webhooks; defaults suit production, tests shrink them. */
export interface EnterpriseCreditOptions {
  /** enterprises per scoring chunk (one transaction each) */
  scoringChunkSize: number;
  /** chunks of one run scored at the same time, each on a connection of its own */
  scoringLanes: number;
  /** delivery attempts of one webhook call before it goes to the dead-letter list */
  webhookAttempts: number;
  /** first retry delay of a webhook call; doubles per attempt */
  webhookBackoffMs: number;
  /** how long a worker's lock on a job lasts; a dead worker's job is picked up again after it */
  jobLockMs: number;
  /** the AES-256-GCM key webhook secrets are encrypted with at rest (32 bytes) */
  webhookSecretKey: Buffer;
  /** plain http webhooks (development and test only; https everywhere else) */
  webhookAllowHttp: boolean;
  /** webhooks on loopback and private addresses (development only); link-local and metadata never */
  webhookAllowPrivate: boolean;
}

/** The development key: public, so it is refused outside development and test. */
export const DEVELOPMENT_WEBHOOK_KEY = createHash('sha256').update('citypoints development webhook secret key').digest();

const flag = z.enum(['true', 'false', '1', '0', '']).optional().transform((v) => v === 'true' || v === '1');

const EnvOptions = z.object({
  NODE_ENV: z.string().optional(),
  ENTERPRISE_CREDIT_SCORING_CHUNK: z.coerce.number().int().min(1).max(1_000_000).default(25_000),
  ENTERPRISE_CREDIT_SCORING_LANES: z.coerce.number().int().min(1).max(16).default(2),
  ENTERPRISE_CREDIT_WEBHOOK_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  ENTERPRISE_CREDIT_WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(1).default(5_000),
  ENTERPRISE_CREDIT_JOB_LOCK_MS: z.coerce.number().int().min(500).default(30_000),
  WEBHOOK_SECRET_KEY: z.string().optional(),
  WEBHOOK_ALLOW_PRIVATE: flag,
});

/** 32 bytes as 64 hex digits or as base64. */
function parseKey(raw: string): Buffer | null {
  const s = raw.trim();
  if (/^[0-9a-fA-F]{64}$/.test(s)) return Buffer.from(s, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(s)) {
    const b = Buffer.from(s, s.includes('-') || s.includes('_') ? 'base64url' : 'base64');
    return b.length === 32 ? b : null;
  }
  return null;
}

/**
 * Reads the options from the environment once; a wrong value stops with the variable's name.
 * `NODE_ENV` unset counts as production here: only `development` and `test` get the development
 * webhook key, plain http and `WEBHOOK_ALLOW_PRIVATE`. Options given in `given` are not read.
 */
export function optionsFromEnv(source: Record<string, string | undefined> = process.env, given: Partial<EnterpriseCreditOptions> = {}): EnterpriseCreditOptions {
  const parsed = EnvOptions.safeParse(source);
  const fail = (lines: string[]): never => {
    throw new Error('invalid environment:\n' + lines.map((l) => `  ${l}`).join('\n'));
  };
  if (!parsed.success) fail(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const e = parsed.data!;
  const development = e.NODE_ENV === 'development' || e.NODE_ENV === 'test';
  let key = given.webhookSecretKey;
  if (!key) {
    if (e.WEBHOOK_SECRET_KEY) {
      key = parseKey(e.WEBHOOK_SECRET_KEY) ?? fail(['WEBHOOK_SECRET_KEY: must be 32 bytes, as 64 hex digits or base64']);
      if (!development && key.equals(DEVELOPMENT_WEBHOOK_KEY)) fail(['WEBHOOK_SECRET_KEY: the development key is refused outside development and test']);
    } else if (development) {
      key = DEVELOPMENT_WEBHOOK_KEY;
    } else {
      fail(['WEBHOOK_SECRET_KEY: required outside development and test (32 bytes, 64 hex digits or base64)']);
    }
  }
  if (e.WEBHOOK_ALLOW_PRIVATE && !development) fail(['WEBHOOK_ALLOW_PRIVATE: allowed in development and test only']);
  return {
    scoringChunkSize: e.ENTERPRISE_CREDIT_SCORING_CHUNK,
    scoringLanes: e.ENTERPRISE_CREDIT_SCORING_LANES,
    webhookAttempts: e.ENTERPRISE_CREDIT_WEBHOOK_ATTEMPTS,
    webhookBackoffMs: e.ENTERPRISE_CREDIT_WEBHOOK_BACKOFF_MS,
    jobLockMs: e.ENTERPRISE_CREDIT_JOB_LOCK_MS,
    webhookSecretKey: key!,
    webhookAllowHttp: development,
    webhookAllowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
    ...given,
  };
}
