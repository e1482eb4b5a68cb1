import { createHmac } from 'node:crypto';
import type { Job } from 'bullmq';
import { requireRole, requireRoleIn, type Caller } from '@citypoints/auth';
import { badInput, conflict, divisionLevelOf, offsetFromCursor, offsetPage, pageSize } from '@citypoints/kit';
import { SCHEMA, type DeliveryJob, type EnterpriseCreditRuntime } from '../runtime';
import { alertById, toAlert } from './alert.service';
import type { AlertWebhook, WebhookDelivery } from './alert.type';

export const SIGNATURE_HEADER = 'X-Citypoints-Signature';

/** `sha256=<hex HMAC-SHA256 of the exact body with the webhook's secret>` */
export function signature(secret: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

export async function registerAlertWebhook(rt: EnterpriseCreditRuntime, caller: Caller, rawUrl: string, secret: string, divisionCode: string): Promise<AlertWebhook> {
  if (!divisionLevelOf(divisionCode ?? '')) throw badInput('divisionCode is a 6, 9 or 12-digit division code', { field: 'divisionCode' });
  requireRoleIn(caller, divisionCode, 'REGULATOR');
  let url: URL;
  try {
    url = new URL((rawUrl ?? '').trim());
  } catch {
    throw badInput('url is not a URL', { field: 'url' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw badInput('url must be http or https', { field: 'url' });
  if (!secret || secret.length < 16 || secret.length > 256) throw badInput('secret must have 16 to 256 characters', { field: 'secret' });
  const rows: { id: string; url: string; division_code: string }[] = await rt.ds.query(
    `INSERT INTO "${SCHEMA}".alert_webhooks (url, secret, division_code, registered_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT (division_code, url) DO NOTHING RETURNING id, url, division_code`,
    [url.toString(), secret, divisionCode, caller.sub],
  );
  if (!rows.length) throw conflict('this url is registered for the division already', { field: 'url' });
  return { id: rows[0].id, url: rows[0].url, divisionCode: rows[0].division_code };
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

/** One attempt of one webhook call; a thrown error makes BullMQ retry it with backoff. */
export async function deliverWebhook(rt: EnterpriseCreditRuntime, job: Job<DeliveryJob>): Promise<string> {
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
    const res = await fetch(d.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature(d.secret, body) },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new Error(`receiver answered HTTP ${res.status}`);
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
