import { SignJWT, jwtVerify, createRemoteJWKSet, type JWTPayload } from 'jose';
import { unauthenticated } from '@citypoints/kit';
import { Caller, Role, Roles } from './caller';
import { signHs256, verifyHs256 } from './hs256';

const enc = new TextEncoder();
export const CALLER_HEADER = 'x-citypoints-caller';

function toCaller(payload: JWTPayload): Caller {
  const roles = Array.isArray(payload.roles) ? payload.roles : [];
  const known = roles.filter((r): r is Role => typeof r === 'string' && (Roles as readonly string[]).includes(r));
  if (typeof payload.sub !== 'string' || !payload.sub) throw unauthenticated('token has no subject');
  if (known.length === 0) throw unauthenticated('token carries no known role');
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  return {
    sub: payload.sub,
    roles: known,
    department: str(payload.department),
    division: str(payload.division),
    purpose: str(payload.purpose),
  };
}

export interface VerifierOptions {
  secret: string;
  jwksUrl?: string;
  /** checked when set (the configuration requires it with a JWKS) */
  issuer?: string;
  /** checked when set (the configuration requires it with a JWKS) */
  audience?: string;
}

/** The algorithms each kind of key may sign with; nothing else is accepted (no `none`, no mixing). */
export const SECRET_ALGORITHMS = ['HS256'];
export const JWKS_ALGORITHMS = ['RS256', 'ES256'];

/**
 * The gateway's verification of a bearer token: HS256 with the shared secret, or RS256/ES256
 * against a JWKS (then the secret verifies nothing). Every token must carry `exp`.
 */
export function createBearerVerifier(opts: VerifierOptions): (token: string) => Promise<Caller> {
  const jwks = opts.jwksUrl ? createRemoteJWKSet(new URL(opts.jwksUrl)) : null;
  const key = enc.encode(opts.secret);
  const common = {
    requiredClaims: ['exp', 'sub'],
    ...(opts.issuer ? { issuer: opts.issuer } : {}),
    ...(opts.audience ? { audience: opts.audience } : {}),
  };
  return async (token: string) => {
    try {
      const { payload } = jwks
        ? await jwtVerify(token, jwks, { ...common, algorithms: JWKS_ALGORITHMS })
        : await jwtVerify(token, key, { ...common, algorithms: SECRET_ALGORITHMS });
      return toCaller(payload);
    } catch (e) {
      if ((e as { code?: string }).code === 'UNAUTHENTICATED') throw e;
      throw unauthenticated('the bearer token is not valid: ' + reasonOf(e));
    }
  };
}

/** Why jose refused a token, in words that say nothing about the token itself. */
function reasonOf(e: unknown): string {
  const code = (e as { code?: string }).code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'it has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `claim ${(e as { claim?: string }).claim ?? ''} is missing or wrong`.replace('  ', ' ');
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'its algorithm is not accepted';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'its signature does not verify';
    default:
      return 'it is malformed or rejected';
  }
}

export interface MintOptions {
  sub: string;
  roles: Role[];
  department?: string;
  division?: string;
  purpose?: string;
  expiresIn?: string;
  issuer?: string;
  audience?: string;
}

/** Mints an HS256 token, as development tools and tests do. */
export async function mintToken(secret: string, o: MintOptions): Promise<string> {
  const claims: Record<string, unknown> = { roles: o.roles };
  if (o.department) claims.department = o.department;
  if (o.division) claims.division = o.division;
  if (o.purpose) claims.purpose = o.purpose;
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(o.sub).setIssuedAt().setExpirationTime(o.expiresIn ?? '12h');
  if (o.issuer) jwt = jwt.setIssuer(o.issuer);
  if (o.audience) jwt = jwt.setAudience(o.audience);
  return jwt.sign(enc.encode(secret));
}

const FORWARDED_AUDIENCE = 'citypoints-subgraph';

/**
 * What the gateway forwards to subgraphs: the verified caller, signed with the secret only the
 * gateway and subgraphs share. `anonymous` marks a request that carried no bearer token.
 */
export async function signForwardedCaller(secret: string, caller: Caller | null): Promise<string> {
  return signHs256(secret, caller ? { caller } : { anonymous: true }, FORWARDED_AUDIENCE, 120);
}

/** A subgraph's check of the forwarded caller; anything not signed by the gateway is refused. */
export async function verifyForwardedCaller(secret: string, header: string | undefined | null): Promise<Caller | null> {
  if (!header) throw unauthenticated('requests must come through the gateway');
  let payload: JWTPayload;
  try {
    payload = verifyHs256(secret, header, FORWARDED_AUDIENCE);
  } catch {
    throw unauthenticated('the forwarded caller is not signed by the gateway');
  }
  if (payload.anonymous === true) return null;
  try {
    return toCaller({ ...(payload.caller as JWTPayload) });
  } catch (e) {
    if ((e as { code?: string }).code === 'UNAUTHENTICATED') throw e;
    throw unauthenticated('the forwarded caller is not signed by the gateway');
  }
}

export const SERVICE_HEADER = 'x-citypoints-service';
const SERVICE_AUDIENCE = 'citypoints-internal';

/** A subgraph's own identity on an internal call to another subgraph, signed with the secret they share. */
export async function signServiceCall(secret: string, service: string): Promise<string> {
  return signHs256(secret, { service }, SERVICE_AUDIENCE, 120);
}

/** The calling service's name; anything not signed as a service call (a forwarded user caller included) is refused. */
export async function verifyServiceCall(secret: string, header: string | undefined | null): Promise<string> {
  if (!header) throw unauthenticated('internal calls carry a service identity');
  try {
    const payload = verifyHs256(secret, header, SERVICE_AUDIENCE);
    if (typeof payload.service !== 'string' || !/^[a-z][a-z-]*$/.test(payload.service)) throw new Error('no service');
    return payload.service;
  } catch {
    throw unauthenticated('the service identity does not verify');
  }
}
