import { classifyAddress, isAllowedAddress, resolveAllowed } from '../src/alerts/webhook.address';
import { openSecret, sealSecret } from '../src/alerts/webhook.secrets';
import { optionsFromEnv, DEVELOPMENT_WEBHOOK_KEY } from '../src/config';

describe('webhook addresses', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['93.184.216.34', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.0.1', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.128.0.1', 'public'],
    ['169.254.0.1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fd00:ec2::254', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['2002:a9fe:a9fe::1', 'metadata'],
    ['2002:0808:0808::1', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['ff02::1', 'reserved'],
    ['not-an-ip', 'reserved'],
  ])('%s is %s', (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });

  it('lets WEBHOOK_ALLOW_PRIVATE through loopback, private and CGNAT, never link-local or metadata', () => {
    expect(['127.0.0.1', '10.1.1.1', '::1', 'fd00::5', '100.64.1.1'].map((a) => [isAllowedAddress(a, false), isAllowedAddress(a, true)])).toEqual(Array(5).fill([false, true]));
    expect(['169.254.169.254', '169.254.10.10', 'fe80::1', '0.0.0.0', '::', '::ffff:169.254.169.254'].map((a) => isAllowedAddress(a, true))).toEqual(Array(6).fill(false));
  });

  it('refuses a host when any address it resolves to is refused', async () => {
    const mixed = async () => [
      { address: '93.184.216.34', family: 4 as const },
      { address: '169.254.169.254', family: 4 as const },
    ];
    await expect(resolveAllowed(new URL('https://hooks.example.org/'), true, mixed)).rejects.toThrow(/metadata address/);
    await expect(resolveAllowed(new URL('https://[::1]:8443/'), false)).rejects.toThrow(/loopback address/);
    expect(await resolveAllowed(new URL('https://[::1]:8443/'), true)).toEqual([{ address: '::1', family: 6 }]);
  });
});

describe('webhook secrets and their key', () => {
  it('seals with AES-256-GCM bound to the webhook id', () => {
    const sealed = sealSecret(DEVELOPMENT_WEBHOOK_KEY, 'id-1', 'the secret');
    expect(sealed).toMatch(/^gcm1:/);
    expect(sealSecret(DEVELOPMENT_WEBHOOK_KEY, 'id-1', 'the secret')).not.toBe(sealed);
    expect(openSecret(DEVELOPMENT_WEBHOOK_KEY, 'id-1', sealed)).toBe('the secret');
    expect(() => openSecret(DEVELOPMENT_WEBHOOK_KEY, 'id-2', sealed)).toThrow();
    expect(() => openSecret(Buffer.alloc(32, 7), 'id-1', sealed)).toThrow();
  });

  it('takes the development key only in development and test, and WEBHOOK_ALLOW_PRIVATE only there', () => {
    expect(optionsFromEnv({ NODE_ENV: 'test' }).webhookSecretKey.equals(DEVELOPMENT_WEBHOOK_KEY)).toBe(true);
    expect(optionsFromEnv({ NODE_ENV: 'development', WEBHOOK_ALLOW_PRIVATE: 'true' })).toMatchObject({ webhookAllowPrivate: true, webhookAllowHttp: true });
    expect(() => optionsFromEnv({ NODE_ENV: 'production' })).toThrow(/WEBHOOK_SECRET_KEY/);
    expect(() => optionsFromEnv({})).toThrow(/WEBHOOK_SECRET_KEY/);
    expect(() => optionsFromEnv({ NODE_ENV: 'production', WEBHOOK_SECRET_KEY: DEVELOPMENT_WEBHOOK_KEY.toString('hex') })).toThrow(/WEBHOOK_SECRET_KEY/);
    expect(() => optionsFromEnv({ NODE_ENV: 'production', WEBHOOK_SECRET_KEY: 'short' })).toThrow(/WEBHOOK_SECRET_KEY/);
    const key = Buffer.alloc(32, 9);
    const prod = optionsFromEnv({ NODE_ENV: 'production', WEBHOOK_SECRET_KEY: key.toString('base64') });
    expect(prod).toMatchObject({ webhookAllowHttp: false, webhookAllowPrivate: false });
    expect(prod.webhookSecretKey.equals(key)).toBe(true);
    expect(() => optionsFromEnv({ NODE_ENV: 'production', WEBHOOK_SECRET_KEY: key.toString('hex'), WEBHOOK_ALLOW_PRIVATE: 'true' })).toThrow(/WEBHOOK_ALLOW_PRIVATE/);
  });
});
