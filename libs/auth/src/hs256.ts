import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The compact HS256 JWS of the headers citypoints signs for itself — the forwarded caller and a
 * service's identity on internal calls — signed and verified with node:crypto's HMAC in the
 * request's own turn. jose's HMAC goes through WebCrypto: an asynchronous job per signature, several
 * times the CPU, on every request of a caller the gateway had not seen for 30 s and on each of
 * them again in the subgraph. The tokens are the ones jose made before (same header and claims),
 * so either side verifies the other's. Bearer tokens from outside stay with jose.
 */
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64url');

const mac = (secret: string, input: string) => createHmac('sha256', secret).update(input).digest('base64url');

/** Signs `claims` with `iat`, `exp` (now + lifetime) and `aud`. */
export function signHs256(secret: string, claims: Record<string, unknown>, audience: string, lifetimeSeconds: number, now = Date.now()): string {
  const iat = Math.floor(now / 1000);
  const input = `${HEADER}.${Buffer.from(JSON.stringify({ ...claims, iat, exp: iat + lifetimeSeconds, aud: audience })).toString('base64url')}`;
  return `${input}.${mac(secret, input)}`;
}

/**
 * The claims of a token this secret signed for this audience, or an Error saying why not: the
 * header must be exactly `{"alg":"HS256"}` (no other algorithm, no `crit`), the signature its one
 * canonical encoding, `exp` a number in the future, `nbf` (when present) not in the future, `iat`
 * (when present) a number, `aud` the audience (or an array holding it).
 */
export function verifyHs256(secret: string, token: string, audience: string, now = Date.now()): Record<string, unknown> {
  const dot = token.indexOf('.');
  const last = token.lastIndexOf('.');
  if (dot < 0 || last === dot || token.slice(0, dot) !== HEADER) throw new Error('not an HS256 token');
  const expected = Buffer.from(mac(secret, token.slice(0, last)));
  const given = Buffer.from(token.slice(last + 1));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error('signature does not verify');
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(token.slice(dot + 1, last), 'base64url').toString('utf8'));
  } catch {
    throw new Error('claims are not JSON');
  }
  if (!claims || typeof claims !== 'object' || Array.isArray(claims)) throw new Error('claims are not an object');
  const c = claims as Record<string, unknown>;
  const seconds = Math.floor(now / 1000);
  if (typeof c.exp !== 'number' || c.exp <= seconds) throw new Error('expired or without exp');
  if (c.nbf !== undefined && (typeof c.nbf !== 'number' || c.nbf > seconds)) throw new Error('not yet valid');
  if (c.iat !== undefined && typeof c.iat !== 'number') throw new Error('iat is not a number');
  if (!(c.aud === audience || (Array.isArray(c.aud) && c.aud.includes(audience)))) throw new Error('another audience');
  return c;
}
