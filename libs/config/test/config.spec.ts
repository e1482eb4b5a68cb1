import { parseEnv } from '@citypoints/config';

const STRONG = 'k3p9-'.repeat(8);
const OTHER = 'z8q2-'.repeat(8);

describe('environment', () => {
  it('applies defaults', () => {
    const e = parseEnv({ NODE_ENV: 'development' });
    expect(e.GATEWAY_PORT).toBe(4000);
    expect(e.QUEUE_BACKEND).toBe('auto');
    expect(e.DATABASE_URL).toBeUndefined();
    expect(e.GATEWAY_MAX_BODY_BYTES).toBe(2 * 1024 * 1024);
    expect(e.RATE_LIMIT_PER_SECOND).toBe(100);
    expect(e.RATE_LIMIT_BURST).toBe(1000);
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
    const jwks = { NODE_ENV: 'production', AUTH_JWKS_URL: 'https://id.example/jwks.json', AUTH_AUDIENCE: 'citypoints', AUTH_ISSUER: 'https://id.example/', GATEWAY_SUBGRAPH_SECRET: OTHER };
    expect(parseEnv(jwks).NODE_ENV).toBe('production');
  });
  it('treats an unset NODE_ENV as production', () => {
    expect(() => parseEnv({})).toThrow(/AUTH_JWT_SECRET/);
    expect(parseEnv({ AUTH_JWT_SECRET: STRONG, GATEWAY_SUBGRAPH_SECRET: OTHER }).NODE_ENV).toBe('production');
  });
  it('refuses a short secret and an unset, short or derived subgraph secret outside development', () => {
    expect(() => parseEnv({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(31), GATEWAY_SUBGRAPH_SECRET: OTHER })).toThrow(/AUTH_JWT_SECRET: shorter than 32/);
    expect(() => parseEnv({ NODE_ENV: 'production', AUTH_JWT_SECRET: STRONG })).toThrow(/GATEWAY_SUBGRAPH_SECRET: must be set/);
    expect(() => parseEnv({ NODE_ENV: 'production', AUTH_JWT_SECRET: STRONG, GATEWAY_SUBGRAPH_SECRET: 'y'.repeat(20) })).toThrow(/GATEWAY_SUBGRAPH_SECRET: shorter/);
    expect(() => parseEnv({ NODE_ENV: 'production', AUTH_JWT_SECRET: STRONG, GATEWAY_SUBGRAPH_SECRET: `${STRONG}:subgraphs` })).toThrow(/GATEWAY_SUBGRAPH_SECRET: is derived/);
    expect(() => parseEnv({ NODE_ENV: 'production', AUTH_JWT_SECRET: STRONG, GATEWAY_SUBGRAPH_SECRET: STRONG })).toThrow(/GATEWAY_SUBGRAPH_SECRET: is derived/);
    expect(() => parseEnv({ NODE_ENV: 'production', AUTH_JWKS_URL: 'https://id.example/jwks.json', GATEWAY_SUBGRAPH_SECRET: OTHER })).toThrow(/AUTH_AUDIENCE[\s\S]*AUTH_ISSUER/);
  });
  it('lets development and test run on the development secret', () => {
    expect(parseEnv({ NODE_ENV: 'development' }).AUTH_JWT_SECRET.length).toBeGreaterThan(0);
    expect(parseEnv({ NODE_ENV: 'test' }).NODE_ENV).toBe('test');
  });
});
