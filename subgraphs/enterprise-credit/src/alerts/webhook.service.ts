import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Job } from 'bullmq';
import { requireRole, requireRoleIn, type Caller } from '@citypoints/auth';
import { badInput, conflict, divisionLevelOf, offsetFromCursor, offsetPage, pageSize } from '@citypoints/kit';
import { SCHEMA, type DeliveryJob, type EnterpriseCreditRuntime } from '../runtime';
import { alertById, toAlert } from './alert.service';
import type { AlertWebhook, WebhookDelivery } from './alert.type';
import { resolveAllowed, WebhookAddressError, type ResolvedAddress, type Resolver } from './webhook.address';
import { openSecret, sealSecret } from './webhook.secrets';

export const SIGNATURE_HEADER = 'X-Citypoints-Signature';

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the webhook's secret>` — Stripe's
 * scheme: the receiver recomputes it and refuses a timestamp too far from its own clock, so a
 * captured call cannot be replayed later.
 */
export function signature(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/** The URL a webhook may have: https (http only in development and test), no credentials in it. */
function webhookUrl(rt: EnterpriseCreditRuntime, raw: string): URL {
  let url: URL;
  try {
    url = new URL((raw ?? '').trim());
  } catch {
    throw badInput('url is not a URL', { field: 'url' });
  }
  const allowed = rt.options.webhookAllowHttp ? ['https:', 'http:'] : ['https:'];
  if (!allowed.includes(url.protocol)) throw badInput(rt.options.webhookAllowHttp ? 'url must be http or https' : 'url must be https', { field: 'url' });
  if (url.username || url.password) throw badInput('url must not carry credentials', { field: 'url' });
  if (url.toString().length > 2000) throw badInput('url must have at most 2000 characters', { field: 'url' });
  return url;
}

/**
 * A webhook of a division's regulators. Its host must resolve to public addresses only
 * (loopback and private ones too in development with WEBHOOK_ALLOW_PRIVATE; link-local and
 * metadata never); the secret is stored encrypted.
 */
export async function registerAlertWebhook(rt: EnterpriseCreditRuntime, caller: Caller, rawUrl: string, secret: string, divisionCode: string, resolve?: Resolver): Promise<AlertWebhook> {
  if (!divisionLevelOf(divisionCode ?? '')) throw badInput('divisionCode is a 6, 9 or 12-digit division code', { field: 'divisionCode' });
  requireRoleIn(caller, divisionCode, 'REGULATOR');
  const url = webhookUrl(rt, rawUrl);
  if (!secret || secret.length < 16 || secret.length > 256) throw badInput('secret must have 16 to 256 characters', { field: 'secret' });
  try {
    await resolveAllowed(url, rt.options.webhookAllowPrivate, resolve);
  } catch (e) {
    if (e instanceof WebhookAddressError) throw badInput(`url refused: ${e.message}`, { field: 'url' });
    throw e;
  }
  const id = randomUUID();
  const rows: { id: string; url: string; division_code: string }[] = await rt.ds.query(
    `INSERT INTO "${SCHEMA}".alert_webhooks (id, url, secret, division_code, registered_by) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (division_code, url) DO NOTHING RETURNING id, url, division_code`,
    [id, url.toString(), sealSecret(rt.options.webhookSecretKey, id, secret), divisionCode, caller.sub],
  );
  if (!rows.length) throw conflict('this url is registered for the division already', { field: 'url' });
  return { id: rows[0].id, url: rows[0].url, divisionCode: rows[0].division_code };
}

export interface PostResult {
  status: number;
}

/**
 * POSTs to the webhook at the address just checked, never another: the connection goes to that
 * IP (the Host header and TLS name stay the URL's), so a DNS answer that changes between the
 * check and the call cannot move it. Redirects are answers like any other, never followed.
 */
export function postPinned(url: URL, address: ResolvedAddress, headers: Record<string, string>, body: string, timeoutMs = 10_000): Promise<PostResult> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const secure = url.protocol === 'https:';
  const port = url.port ? Number(url.port) : secure ? 443 : 80;
  const options: https.RequestOptions = {
    method: 'POST',
    host: address.address,
    family: address.family,
    port,
    path: `${url.pathname}${url.search}`,
    headers: { ...headers, host: url.host, 'content-length': String(Buffer.byteLength(body)) },
    timeout: timeoutMs,
    agent: false,
  };
  if (secure && host !== address.address) options.servername = host;
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(options, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Puts deliveries written by committed transactions onto the delivery queue, the delivery id as
 * job id, so a second dispatch of the same row adds nothing. Rows left behind by a crash between
 * commit and dispatch are found by the periodic sweep.
 */
export async function dispatchPendingDeliveries(rt: EnterpriseCreditRuntime): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await rt.ds.transaction(async (m) => {
      const rows: { id: string }[] = await m.query(
        `SELECT id FROM "${SCHEMA}".webhook_deliveries
         WHERE status = 'PENDING' AND (enqueued_at IS NULL OR enqueued_at < $1::timestamptz - interval '1 hour')
         ORDER BY created_at LIMIT 500 FOR UPDATE SKIP LOCKED`,
        [rt.clock.now()],
      );
      if (!rows.length) return 0;
      await rt.queues.deliveries.addBulk(
        rows.map((r) => ({
          name: 'deliver',
          data: { deliveryId: r.id },
          opts: {
            jobId: r.id,
            attempts: rt.options.webhookAttempts,
            backoff: { type: 'exponential', delay: rt.options.webhookBackoffMs },
            removeOnComplete: { age: 24 * 3600 },
            removeOnFail: { age: 30 * 24 * 3600 },
          },
        })),
      );
      await m.query(`UPDATE "${SCHEMA}".webhook_deliveries SET enqueued_at = $2 WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id), rt.clock.now()]);
      return rows.length;
    });
    total += n;
    if (n < 500) return total;
  }
}

interface DeliveryRow {
  id: string;
  alert_id: string;
  status: string;
  attempts: number;
  url: string;
  secret: string;
  webhook_id: string;
  division_code: string;
}

/**
 * One attempt of one webhook call; a thrown error makes BullMQ retry it with backoff. The host
 * is resolved and checked again now (it may point elsewhere than at registration) and the call
 * pinned to the address checked.
 */
export async function deliverWebhook(rt: EnterpriseCreditRuntime, job: Job<DeliveryJob>, resolve?: Resolver): Promise<string> {
  const ds = rt.ds;
  const [d]: DeliveryRow[] = await ds.query(
    `SELECT d.id, d.alert_id, d.status, d.attempts, w.url, w.secret, w.id AS webhook_id, w.division_code
     FROM "${SCHEMA}".webhook_deliveries d JOIN "${SCHEMA}".alert_webhooks w ON w.id = d.webhook_id WHERE d.id = $1`,
    [job.data.deliveryId],
  );
  if (!d || d.status !== 'PENDING') return 'nothing to do';
  const row = await alertById(ds, d.alert_id);
  if (!row) return 'alert gone';
  const alert = await toAlert(rt, row);
  const [facts]: { name: string }[] = await ds.query(`SELECT name FROM "${SCHEMA}".enterprises WHERE uscc = $1`, [alert.uscc]);
  const body = JSON.stringify({
    type: 'labour-risk.alert',
    deliveryId: d.id,
    alert: {
      id: alert.id,
      kind: alert.kind,
      reportsStoppedSince: alert.reportsStoppedSince,
      uscc: alert.uscc,
      enterpriseName: facts?.name ?? null,
      level: alert.level,
      previousLevel: alert.previousLevel,
      period: alert.period,
      score: alert.score,
      reasons: alert.reasons,
      guidance: alert.guidance,
      divisionCode: alert.divisionCode,
      raisedAt: alert.raisedAt.toISOString(),
    },
  });
  try {
    const url = new URL(d.url);
    if (!rt.options.webhookAllowHttp && url.protocol !== 'https:') throw new Error('url is not https');
    const [address] = await resolveAllowed(url, rt.options.webhookAllowPrivate, resolve);
    const secret = openSecret(rt.options.webhookSecretKey, d.webhook_id, d.secret);
    const res = await postPinned(url, address, { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature(secret, body, rt.clock.now()) }, body);
    if (res.status >= 300 && res.status < 400) throw new Error(`receiver answered HTTP ${res.status}; redirects are not followed`);
    if (res.status < 200 || res.status >= 300) throw new Error(`receiver answered HTTP ${res.status}`);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    await ds.query(
      `UPDATE "${SCHEMA}".webhook_deliveries SET attempts = attempts + 1, last_error = $2,
         status = CASE WHEN $3 THEN 'DEAD' ELSE status END, dead_at = CASE WHEN $3 THEN $4::timestamptz ELSE dead_at END
       WHERE id = $1 AND status = 'PENDING'`,
      [d.id, message.slice(0, 500), last, rt.clock.now()],
    );
    throw err;
  }
  await ds.query(`UPDATE "${SCHEMA}".webhook_deliveries SET attempts = attempts + 1, status = 'DELIVERED', delivered_at = $2, last_error = NULL WHERE id = $1`, [d.id, rt.clock.now()]);
  return 'delivered';
}

interface DeadRow {
  id: string;
  alert_id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  dead_at: Date | null;
  webhook_id: string;
  url: string;
  division_code: string;
}

/** Calls that failed every attempt, newest first: the city admin's dead-letter list. */
export async function deadLetterDeliveries(rt: EnterpriseCreditRuntime, caller: Caller, first?: number | null, after?: string | null) {
  requireRole(caller, 'CITY_ADMIN');
  const size = pageSize(first);
  const offset = offsetFromCursor(after);
  const [rows, [{ n }]]: [DeadRow[], { n: number }[]] = await Promise.all([
    rt.ds.query(
      `SELECT d.id, d.alert_id, d.status, d.attempts, d.last_error, d.dead_at, w.id AS webhook_id, w.url, w.division_code
       FROM "${SCHEMA}".webhook_deliveries d JOIN "${SCHEMA}".alert_webhooks w ON w.id = d.webhook_id
       WHERE d.status = 'DEAD' ORDER BY d.dead_at DESC, d.id LIMIT $1 OFFSET $2`,
      [size, offset],
    ),
    rt.ds.query(`SELECT count(*)::int AS n FROM "${SCHEMA}".webhook_deliveries WHERE status = 'DEAD'`),
  ]);
  const nodes: WebhookDelivery[] = [];
  for (const r of rows) {
    const a = await alertById(rt.ds, r.alert_id);
    nodes.push({
      id: r.id,
      alert: await toAlert(rt, a!),
      webhook: { id: r.webhook_id, url: r.url, divisionCode: r.division_code },
      status: r.status,
      attempts: r.attempts,
      lastError: r.last_error,
      deadAt: r.dead_at,
    });
  }
  return offsetPage(nodes, offset, size, n);
}
