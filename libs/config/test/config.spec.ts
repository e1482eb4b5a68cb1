import { parseEnv } from '@citypoints/config';

describe('environment', () => {
  it('applies defaults', () => {
    const e = parseEnv({});
    expect(e.GATEWAY_PORT).toBe(4000);
    expect(e.QUEUE_BACKEND).toBe('auto');
    expect(e.DATABASE_URL).toBeUndefined();
  });
  it('names each wrong variable', () => {
    expect(() => parseEnv({ GATEWAY_PORT: 'eighty', DATABASE_URL: 'not a url', QUEUE_BACKEND: 'kafka' })).toThrow(/GATEWAY_PORT[\s\S]*|DATABASE_URL/);
    try {
      parseEnv({ GATEWAY_PORT: 'eighty', DATABASE_URL: 'not a url', QUEUE_BACKEND: 'kafka' });
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toContain('GATEWAY_PORT');
      expect(msg).toContain('DATABASE_URL');
      expect(msg).toContain('QUEUE_BACKEND');
    }
  });
  it('refuses the development secret in production', () => {
    expect(() => parseEnv({ NODE_ENV: 'production' })).toThrow(/AUTH_JWT_SECRET/);
    expect(parseEnv({ NODE_ENV: 'production', AUTH_JWKS_URL: 'https://id.example/jwks.json' }).NODE_ENV).toBe('production');
  });
});
