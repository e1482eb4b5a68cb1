/**
 * What never reaches a log line. Keys are redacted wherever they appear; the text of every line is
 * scrubbed of ID numbers (GB 11643, 18 characters), bearer tokens and JWTs, the process's secrets,
 * and runs of Chinese characters (personal names are Chinese; a log keeps codes and ids instead).
 */
export const REDACTED_KEYS = [
  'authorization',
  'cookie',
  'set-cookie',
  'token',
  'accessToken',
  'secret',
  'password',
  'passwd',
  'apiKey',
  'idNumber',
  'id_number',
  'name',
  'names',
  'holderName',
  'fullName',
  'phone',
  'parameters',
  'params',
  'variables',
  'detail',
  'x-citypoints-caller',
];

const keyPaths = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? [k, `*.${k}`, `*.*.${k}`] : [`["${k}"]`, `*["${k}"]`, `*.*["${k}"]`]);

/** pino's `redact.paths`: each key at the top and two levels down. */
export const REDACT_PATHS = REDACTED_KEYS.flatMap(keyPaths);

const ID_NUMBER = /(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])/g;
const LOOSE_ID_NUMBER = /(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])/g;
const JWT = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
const HAN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff·]{2,}/g;

/** Secrets of this process, taken from the environment when the first line is written. */
function secretsOf(source: Record<string, string | undefined>): string[] {
  const names = ['AUTH_JWT_SECRET', 'GATEWAY_SUBGRAPH_SECRET', 'WEBHOOK_SECRET_KEY', 'WEBHOOK_ENCRYPTION_KEY'];
  const out: string[] = [];
  for (const n of names) {
    const v = source[n];
    if (v && v.length >= 8) out.push(v);
  }
  for (const url of [source.DATABASE_URL, source.REDIS_URL]) {
    try {
      const p = url ? decodeURIComponent(new URL(url).password) : '';
      if (p.length >= 4) out.push(p);
    } catch {
      // not a URL: nothing to hide
    }
  }
  return out;
}

export function scrubber(source: Record<string, string | undefined> = process.env, extraSecrets: string[] = []): (line: string) => string {
  const secrets = [...secretsOf(source), ...extraSecrets].sort((a, b) => b.length - a.length);
  return (line: string) => {
    let out = line.replace(JWT, '[token]').replace(BEARER, '$1[token]').replace(ID_NUMBER, '[id-number]').replace(LOOSE_ID_NUMBER, '[id-number]').replace(HAN, '[text]');
    for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[secret]');
    return out;
  };
}
