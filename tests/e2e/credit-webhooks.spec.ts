import http from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { codes, eventually, FixedClock, labourReport, ok, seed, startCity, type EnterpriseInput, type TestCity } from '@citypoints/test-city';
import { registry } from '@citypoints/registry';
import { enterpriseCreditModule, type EnterpriseCreditRuntime } from '@citypoints/enterprise-credit';
import { sealWebhookSecretsMigration } from '../../subgraphs/enterprise-credit/src/migrations/1764500000200-SealWebhookSecrets';
import { openSecret } from '../../subgraphs/enterprise-credit/src/alerts/webhook.secrets';
import { registerAlertWebhook } from '../../subgraphs/enterprise-credit/src/alerts/webhook.service';

const REGISTER = `mutation($u: String!, $s: String!, $d: ID!) { registerAlertWebhook(url: $u, secret: $s, divisionCode: $d) { id url divisionCode } }`;
const REPORT = `mutation($r: [LabourIndicatorsInput!]!) { reportLabourIndicators(reports: $r) }`;
const RUN = `mutation($p: String!) { runLabourRiskScoring(period: $p) { id } }`;
const RUN_STATE = `query($id: ID!) { scoringRun(id: $id) { status alertsRaised } }`;
const DEAD = `{ deadLetterDeliveries(first: 50) { nodes { attempts lastError webhook { url } alert { enterprise { uscc } } } } }`;

/**
 * What a receiver does with `X-Citypoints-Signature: t=<unix seconds>,v1=<hex>` (the subgraph
 * README shows the same): recompute HMAC-SHA256 of "<t>.<body>", compare in constant time, and
 * refuse a timestamp more than five minutes from its own clock.
 */
function verify(secret: string, header: string | undefined, body: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  if (!header) return false;
  const parts = new Map(header.split(',').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as [string, string]));
  const t = Number(parts.get('t'));
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(parts.get('v1') ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

interface Call {
  path: string;
  body: string;
  signature: string | undefined;
}

/** A real HTTP receiver on a local port; `answer` decides each response. */
async function receiver(answer: (res: http.ServerResponse, call: Call) => void = (res) => res.writeHead(200).end()) {
  const calls: Call[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const call = { path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8'), signature: req.headers['x-citypoints-signature'] as string | undefined };
      calls.push(call);
      answer(res, call);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, url: `${base}/alerts`, calls, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('labour-risk webhooks: where they may point, how they are signed, how secrets are kept', () => {
  let city: TestCity;
  const clock = new FixedClock(new Date('2026-06-15T02:00:00Z'));
  let admin: string;
  let feed: string;
  const ec = () => city.instances['enterprise-credit'];
  const rt = () => ec().runtime as EnterpriseCreditRuntime;

  beforeAll(async () => {
    // loopback receivers need WEBHOOK_ALLOW_PRIVATE, as in development
    city = await startCity({ modules: [registry, enterpriseCreditModule({ webhookAttempts: 2, webhookBackoffMs: 20, webhookAllowPrivate: true })], workers: true, clock });
    admin = await city.token('CITY_ADMIN', { sub: 'admin-1' });
    feed = await city.token('DATA_FEED', { sub: 'hr-feed', department: 'HUMAN_RESOURCES' });
  });
  afterAll(() => city.close());

  const enterprise = async (divisionCode: string): Promise<EnterpriseInput> => {
    const e = await seed(city).enterprise({ divisionCode });
    await eventually(async () => (await ec().dataSource.query(`SELECT 1 FROM enterprise_credit.enterprises WHERE uscc = $1`, [e.uscc])).length === 1);
    return e;
  };
  /** a group incident: CRITICAL, an alert to the enterprise's town */
  const raiseCritical = async (uscc: string, period: string) => {
    ok(await city.query(REPORT, { r: [labourReport(uscc, period, { groupIncident: true })] }, feed));
    const run = ok(await city.query(RUN, { p: period }, admin)).runLabourRiskScoring;
    return eventually(async () => {
      const r = ok(await city.query(RUN_STATE, { id: run.id }, admin)).scoringRun;
      return r.status === 'COMPLETED' ? r : null;
    });
  };
  const deadFor = (uscc: string) =>
    eventually(async () => {
      const nodes = ok(await city.query(DEAD, {}, admin)).deadLetterDeliveries.nodes.filter((n: { alert: { enterprise: { uscc: string } } }) => n.alert.enterprise.uscc === uscc);
      return nodes.length ? nodes : null;
    });

  it('delivers an alert a real receiver verifies with the timestamped signature, and keeps the secret encrypted', async () => {
    const hook = await receiver();
    try {
      const regulator = await city.token('REGULATOR', { division: '441900003' });
      const secret = 'dongcheng-secret-0123456789';
      ok(await city.query(REGISTER, { u: hook.url, s: secret, d: '441900003' }, regulator));
      const e = await enterprise('441900003');
      await raiseCritical(e.uscc, '2026-05');
      await eventually(async () => hook.calls.length >= 1);
      const [call] = hook.calls;
      const now = Math.floor(clock.now().getTime() / 1000);
      expect(call.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(verify(secret, call.signature, call.body, now)).toBe(true);
      expect(JSON.parse(call.body).alert).toMatchObject({ uscc: e.uscc, level: 'CRITICAL', divisionCode: '441900003' });
      // the signature covers the timestamp and the body: a changed one, an old one, another secret fail
      expect(verify(secret, call.signature, call.body.replace('CRITICAL', 'NORMAL'), now)).toBe(false);
      expect(verify(secret, call.signature, call.body, now + 3600)).toBe(false);
      expect(verify('another-secret-0123456789', call.signature, call.body, now)).toBe(false);

      const [stored] = await ec().dataSource.query(`SELECT id, secret FROM enterprise_credit.alert_webhooks WHERE url = $1`, [hook.url]);
      expect(stored.secret).toMatch(/^gcm1:/);
      expect(stored.secret).not.toContain(secret);
      expect(openSecret(rt().options.webhookSecretKey, stored.id, stored.secret)).toBe(secret);
    } finally {
      await hook.close();
    }
  });

  it('refuses link-local, metadata and unspecified addresses at registration even when private ones are allowed', async () => {
    const regulator = await city.token('REGULATOR', { division: '441900004' });
    for (const u of ['http://169.254.169.254/', 'http://169.254.169.254/latest/meta-data/', 'http://[fe80::1]/', 'http://[::ffff:169.254.169.254]/', 'http://0.0.0.0:8080/', 'http://100.100.100.200/', 'http://[fd00:ec2::254]/']) {
      const res = await city.query(REGISTER, { u, s: 'a-secret-of-16-chars', d: '441900004' }, regulator);
      expect({ u, codes: codes(res) }).toEqual({ u, codes: ['BAD_USER_INPUT'] });
    }
    const [{ n }] = await ec().dataSource.query(`SELECT count(*)::int AS n FROM enterprise_credit.alert_webhooks WHERE division_code = '441900004'`);
    expect(n).toBe(0);
  });

  it('refuses loopback and private addresses and plain http where private webhooks are not allowed (outside development)', async () => {
    const strict: EnterpriseCreditRuntime = { ...rt(), options: { ...rt().options, webhookAllowPrivate: false, webhookAllowHttp: false } };
    const caller = { sub: 'reg-4', roles: ['REGULATOR' as const], division: '441900004' };
    const refused = async (url: string) => {
      await expect(registerAlertWebhook(strict, caller, url, 'a-secret-of-16-chars', '441900004')).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    };
    await refused('http://93.184.216.34/hook'); // http outside development
    for (const host of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.10', '[::1]', '[fd12::1]', '100.64.0.1', 'localhost']) await refused(`https://${host}/hook`);
    // a public name resolving to a private address is refused like the address itself
    await expect(registerAlertWebhook(strict, caller, 'https://hooks.example.org/x', 'a-secret-of-16-chars', '441900004', async () => [{ address: '10.0.0.7', family: 4 }])).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    // and a public one is accepted (the resolver stands in for DNS, which this machine may not have)
    const ok = await registerAlertWebhook(strict, caller, 'https://hooks.example.org/x', 'a-secret-of-16-chars', '441900004', async () => [{ address: '93.184.216.34', family: 4 }]);
    expect(ok).toMatchObject({ url: 'https://hooks.example.org/x', divisionCode: '441900004' });
  });

  it('does not follow a redirect: the delivery ends in the dead-letter list and the redirect target is never called', async () => {
    const target = await receiver();
    const redirecting = await receiver((res) => res.writeHead(302, { location: `${target.base}/stolen` }).end());
    try {
      const regulator = await city.token('REGULATOR', { division: '441900110' });
      ok(await city.query(REGISTER, { u: redirecting.url, s: 'redirect-secret-0123456789', d: '441900110' }, regulator));
      const e = await enterprise('441900110');
      await raiseCritical(e.uscc, '2026-05');
      const dead = await deadFor(e.uscc);
      expect(dead).toEqual([{ attempts: 2, lastError: 'receiver answered HTTP 302; redirects are not followed', webhook: { url: redirecting.url }, alert: { enterprise: { uscc: e.uscc } } }]);
      expect(redirecting.calls).toHaveLength(2);
      expect(target.calls).toHaveLength(0);
    } finally {
      await target.close();
      await redirecting.close();
    }
  });

  it('checks the address again at delivery: a webhook that now points at the metadata service is never called', async () => {
    const hook = await receiver();
    try {
      const regulator = await city.token('REGULATOR', { division: '441900119' });
      const { id } = ok(await city.query(REGISTER, { u: hook.url, s: 'rebind-secret-0123456789', d: '441900119' }, regulator)).registerAlertWebhook;
      // as if its name resolved elsewhere since registration
      await ec().dataSource.query(`UPDATE enterprise_credit.alert_webhooks SET url = 'http://169.254.169.254/latest/meta-data/' WHERE id = $1`, [id]);
      const e = await enterprise('441900119');
      await raiseCritical(e.uscc, '2026-05');
      const dead = await deadFor(e.uscc);
      expect(dead).toHaveLength(1);
      expect(dead[0].lastError).toMatch(/metadata address/);
      expect(hook.calls).toHaveLength(0);
    } finally {
      await hook.close();
    }
  });

  it('encrypts secrets stored in plain text by an earlier version, in a migration', async () => {
    const key = rt().options.webhookSecretKey;
    const Seal = sealWebhookSecretsMigration(key);
    const qr = ec().dataSource.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction();
      await new Seal().down(qr); // back to plain text, as before the migration
      const [{ id }] = await qr.query(
        `INSERT INTO enterprise_credit.alert_webhooks (url, secret, division_code, registered_by) VALUES ('https://hooks.example.org/old', 'plain-old-secret-0123', '441900121', 'old') RETURNING id`,
      );
      const plain = await qr.query(`SELECT count(*)::int AS n FROM enterprise_credit.alert_webhooks WHERE secret NOT LIKE 'gcm1:%'`);
      expect(plain[0].n).toBeGreaterThanOrEqual(1);
      await new Seal().up(qr);
      const rows: { id: string; secret: string }[] = await qr.query(`SELECT id, secret FROM enterprise_credit.alert_webhooks`);
      expect(rows.every((r) => r.secret.startsWith('gcm1:'))).toBe(true);
      expect(openSecret(key, id, rows.find((r) => r.id === id)!.secret)).toBe('plain-old-secret-0123');
      await qr.rollbackTransaction();
    } finally {
      await qr.release();
    }
  });
});
