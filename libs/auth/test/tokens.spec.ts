import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { createBearerVerifier, mintToken, signForwardedCaller, verifyForwardedCaller, signServiceCall, verifyServiceCall, requireRoleIn, canReachDivision } from '@citypoints/auth';

const SECRET = 'a-test-secret-of-enough-length';
const key = new TextEncoder().encode(SECRET);

describe('bearer tokens', () => {
  it('verifies an HS256 token and keeps roles, department and division', async () => {
    const verify = createBearerVerifier({ secret: SECRET });
    const token = await mintToken(SECRET, { sub: 'u1', roles: ['TOWN_OFFICIAL'], division: '441900003', department: 'CIVIL_AFFAIRS' });
    expect(await verify(token)).toEqual({ sub: 'u1', roles: ['TOWN_OFFICIAL'], division: '441900003', department: 'CIVIL_AFFAIRS', purpose: undefined });
  });

  it('refuses a token signed with another secret, an expired one, and one without a known role', async () => {
    const verify = createBearerVerifier({ secret: SECRET });
    await expect(verify(await mintToken('another-secret-of-enough-length', { sub: 'u', roles: ['CITY_ADMIN'] }))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(verify(await mintToken(SECRET, { sub: 'u', roles: ['CITY_ADMIN'], expiresIn: '-1m' }))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    const noRole = await new SignJWT({ roles: ['KING'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('u').sign(new TextEncoder().encode(SECRET));
    await expect(verify(noRole)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('verifies RS256 tokens against a JWKS served over HTTP', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const server = http.createServer((_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
      const verify = createBearerVerifier({ secret: SECRET, jwksUrl: url, issuer: 'https://id.city.example' });
      const good = await new SignJWT({ roles: ['REGULATOR'], division: '441900121' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('reg-1').setIssuer('https://id.city.example').setExpirationTime('5m').sign(privateKey);
      expect(await verify(good)).toMatchObject({ sub: 'reg-1', roles: ['REGULATOR'], division: '441900121' });
      const wrongIssuer = await new SignJWT({ roles: ['REGULATOR'] }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('reg-1').setIssuer('https://elsewhere').setExpirationTime('5m').sign(privateKey);
      await expect(verify(wrongIssuer)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      await expect(verify(await mintToken(SECRET, { sub: 'x', roles: ['CITY_ADMIN'] }))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    } finally {
      server.close();
    }
  });
});

describe('what a bearer token must carry', () => {
  it('refuses a token without exp, one for another audience or issuer, and any other algorithm', async () => {
    const noExp = await new SignJWT({ roles: ['CITY_ADMIN'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setIssuedAt().sign(key);
    await expect(createBearerVerifier({ secret: SECRET })(noExp)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringContaining('exp') });
    const verify = createBearerVerifier({ secret: SECRET, audience: 'citypoints', issuer: 'https://id.city.example' });
    const good = await mintToken(SECRET, { sub: 'u', roles: ['CITY_ADMIN'], audience: 'citypoints', issuer: 'https://id.city.example' });
    expect(await verify(good)).toMatchObject({ sub: 'u' });
    await expect(verify(await mintToken(SECRET, { sub: 'u', roles: ['CITY_ADMIN'], audience: 'elsewhere', issuer: 'https://id.city.example' }))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(verify(await mintToken(SECRET, { sub: 'u', roles: ['CITY_ADMIN'], issuer: 'https://id.city.example' }))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(verify(await mintToken(SECRET, { sub: 'u', roles: ['CITY_ADMIN'], audience: 'citypoints' }))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    const hs512 = await new SignJWT({ roles: ['CITY_ADMIN'] }).setProtectedHeader({ alg: 'HS512' }).setSubject('u').setExpirationTime('5m').sign(key);
    await expect(createBearerVerifier({ secret: SECRET })(hs512)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'u', roles: ['CITY_ADMIN'], exp: 9999999999 })).toString('base64url')}.`;
    await expect(createBearerVerifier({ secret: SECRET })(unsigned)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe('the forwarded caller', () => {
  it('round-trips through the shared secret and is refused when forged or missing', async () => {
    const caller = { sub: 'u1', roles: ['RESIDENT' as const] };
    expect(await verifyForwardedCaller(SECRET, await signForwardedCaller(SECRET, caller))).toMatchObject(caller);
    expect(await verifyForwardedCaller(SECRET, await signForwardedCaller(SECRET, null))).toBeNull();
    await expect(verifyForwardedCaller(SECRET, await signForwardedCaller('another-secret-of-enough-length', caller))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(verifyForwardedCaller(SECRET, undefined)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('verifies what jose signs and jose verifies what it signs (the same tokens as before)', async () => {
    const caller = { sub: 'u1', roles: ['RESIDENT' as const] };
    const byJose = await new SignJWT({ caller }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('2m').setAudience('citypoints-subgraph').sign(key);
    expect(await verifyForwardedCaller(SECRET, byJose)).toMatchObject(caller);
    const { payload } = await jwtVerify(await signForwardedCaller(SECRET, caller), key, { algorithms: ['HS256'], audience: 'citypoints-subgraph', requiredClaims: ['exp', 'iat'] });
    expect(payload.caller).toEqual(caller);
  });

  it('refuses an expired, premature, tampered, re-encoded, other-audience or other-algorithm header', async () => {
    const caller = { sub: 'u1', roles: ['RESIDENT' as const] };
    const sign = (claims: Record<string, unknown>, alg = 'HS256') => {
      const s = new SignJWT(claims).setProtectedHeader({ alg });
      return s.sign(key);
    };
    const refused = async (header: string) => expect(verifyForwardedCaller(SECRET, header)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await refused(await sign({ caller, aud: 'citypoints-subgraph', exp: Math.floor(Date.now() / 1000) - 1 }));
    await refused(await sign({ caller, aud: 'citypoints-subgraph' }));
    await refused(await sign({ caller, aud: 'citypoints-subgraph', exp: Math.floor(Date.now() / 1000) + 60, nbf: Math.floor(Date.now() / 1000) + 30 }));
    await refused(await sign({ caller, aud: 'citypoints-internal', exp: Math.floor(Date.now() / 1000) + 60 }));
    await refused(await sign({ caller, aud: 'citypoints-subgraph', exp: Math.floor(Date.now() / 1000) + 60 }, 'HS512'));
    await refused(await signServiceCall(SECRET, 'registry'));
    const good = await signForwardedCaller(SECRET, caller);
    const [h, p, sig] = good.split('.');
    const admin = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), caller: { sub: 'u1', roles: ['CITY_ADMIN'] } })).toString('base64url');
    await refused(`${h}.${admin}.${sig}`);
    await refused(`${h}.${p}.${sig}=`);
    await refused(`${h}.${p}.${sig.slice(0, -1)}`);
    await refused(`${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${p}.`);
    await refused(`${Buffer.from(JSON.stringify({ alg: 'HS256', crit: ['x'], x: 1 })).toString('base64url')}.${p}.${sig}`);
    await refused('not-a-token');
    expect(await verifyForwardedCaller(SECRET, good)).toMatchObject(caller);
  });
});

describe('the service identity of internal calls', () => {
  it('round-trips, and a forwarded caller or a forged one is not a service', async () => {
    expect(await verifyServiceCall(SECRET, await signServiceCall(SECRET, 'civic'))).toBe('civic');
    await expect(verifyServiceCall(SECRET, await signServiceCall('another-secret-of-enough-length', 'civic'))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(verifyServiceCall(SECRET, await signForwardedCaller(SECRET, { sub: 'u', roles: ['CITY_ADMIN'] }))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(verifyServiceCall(SECRET, await signServiceCall(SECRET, 'Civic; DROP'))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe('division scoping', () => {
  const official = { sub: 'o', roles: ['TOWN_OFFICIAL' as const], division: '441900003' };
  it('reaches the division and its villages, not another town', () => {
    expect(canReachDivision(official, '441900003002')).toBe(true);
    expect(canReachDivision(official, '441900121001')).toBe(false);
    expect(() => requireRoleIn(official, '441900121', 'TOWN_OFFICIAL')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(() => requireRoleIn(official, '441900003', 'REGULATOR')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(canReachDivision({ sub: 'a', roles: ['CITY_ADMIN'] }, '441900121001')).toBe(true);
  });
});
