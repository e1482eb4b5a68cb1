import { z } from 'zod';

const DEV_SECRET = 'citypoints-development-secret-do-not-use-in-production';
/** the shortest signing secret accepted outside development and test */
export const MIN_SECRET_LENGTH = 32;

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();
const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.string().url().optional())
  .optional();

/** Every variable citypoints reads, parsed once at boot. `.env.example` lists the same. */
export const EnvSchema = z.object({
  /** unset means production: the secret checks below apply unless development or test is said */
  NODE_ENV: z.enum(['development', 'test', 'production']).default('production'),
  DATABASE_URL: optionalUrl,
  REDIS_URL: optionalUrl,
  QUEUE_BACKEND: z.enum(['auto', 'redis', 'postgres']).default('auto'),
  QUEUE_PREFIX: z.string().min(1).default('citypoints'),
  AUTH_JWT_SECRET: z.string().min(16).default(DEV_SECRET),
  AUTH_JWKS_URL: optionalUrl,
  AUTH_ISSUER: optionalString,
  AUTH_AUDIENCE: optionalString,
  GATEWAY_SUBGRAPH_SECRET: z.string().min(16).optional(),
  GATEWAY_PORT: port(4000),
  GATEWAY_MAX_DEPTH: z.coerce.number().int().min(2).max(50).default(12),
  GATEWAY_MAX_COST: z.coerce.number().int().min(10).default(50_000),
  GATEWAY_SUPERGRAPH: z.enum(['file', 'introspect']).default('file'),
  /** at most this many root fields (aliases included) in one operation */
  GATEWAY_MAX_ROOT_FIELDS: z.coerce.number().int().min(1).default(100),
  /** request bodies above this size are refused with 413 before they are parsed */
  GATEWAY_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(2 * 1024 * 1024),
  /** every fetch from the gateway to a subgraph is aborted after this long */
  GATEWAY_SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** per caller (token subject, or address when anonymous): sustained requests per second */
  RATE_LIMIT_PER_SECOND: z.coerce.number().positive().default(100),
  /** per caller: the most requests taken at once */
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(1000),
  /** PostgreSQL statement_timeout of every pool, in milliseconds (0 = none) */
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
  /** BullMQ lock of a running job, in milliseconds: a killed worker's job is handed back once it lapses (unset: 30 s) */
  JOB_LOCK_MS: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(500).optional()),
  /** how often workers look for jobs whose lock lapsed, in milliseconds (unset: 30 s) */
  JOB_STALLED_INTERVAL_MS: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(500).optional()),
  /** port of a worker process's /health, /ready and /metrics (0 = none) */
  WORKER_HTTP_PORT: port(0),
  /** bull-board's queues: `subgraph:queue` names, comma separated (see .env.example) */
  ADMIN_QUEUES: z.string().optional(),
  /** OpenTelemetry traces are exported by OTLP/HTTP when set */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  REGISTRY_PORT: port(4101),
  SETTLEMENT_PORT: port(4102),
  CIVIC_PORT: port(4103),
  ENTERPRISE_CREDIT_PORT: port(4104),
  SOCIAL_ORGANISATIONS_PORT: port(4105),
  VOLUNTEERING_PORT: port(4106),
  SUBGRAPH_HOST: z.string().default('127.0.0.1'),
  EMBEDDED_PG_PORT: port(54329),
  EMBEDDED_PG_DIR: z.string().default('.data/postgres'),
  DEMO_DATA: z.enum(['on', 'off']).default('on'),
  LOG_LEVEL: z.enum(['silent', 'error', 'warn', 'info', 'debug']).default('info'),
});
export type Env = z.infer<typeof EnvSchema>;

export class ConfigError extends Error {}

/** Parses an environment; a wrong value throws a ConfigError naming each variable. */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const result = EnvSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid environment:\n${lines.join('\n')}`);
  }
  const problems = secretProblems(result.data, source);
  if (problems.length) throw new ConfigError(`invalid environment:\n${problems.map((p) => '  ' + p).join('\n')}`);
  return result.data;
}

/**
 * Outside development and test every process refuses to start on a public or weak secret: the
 * development default or a short AUTH_JWT_SECRET, a GATEWAY_SUBGRAPH_SECRET that is unset, short,
 * or derived from AUTH_JWT_SECRET, and a JWKS without the audience and issuer it must check.
 */
export function secretProblems(e: Env, source: Record<string, string | undefined> = {}): string[] {
  if (e.NODE_ENV === 'development' || e.NODE_ENV === 'test') return [];
  const out: string[] = [];
  const jwtSecretGiven = typeof source.AUTH_JWT_SECRET === 'string' && source.AUTH_JWT_SECRET !== '';
  // with a JWKS the HS256 secret verifies nothing, but when one is given it must still be strong
  if (!e.AUTH_JWKS_URL || jwtSecretGiven) {
    if (e.AUTH_JWT_SECRET === DEV_SECRET) out.push(`AUTH_JWT_SECRET: is the public development secret; set a random secret of at least ${MIN_SECRET_LENGTH} characters (or AUTH_JWKS_URL)`);
    else if (e.AUTH_JWT_SECRET.length < MIN_SECRET_LENGTH) out.push(`AUTH_JWT_SECRET: shorter than ${MIN_SECRET_LENGTH} characters`);
  }
  const sub = e.GATEWAY_SUBGRAPH_SECRET;
  if (!sub) out.push('GATEWAY_SUBGRAPH_SECRET: must be set to a random secret of its own outside development');
  else if (sub.length < MIN_SECRET_LENGTH) out.push(`GATEWAY_SUBGRAPH_SECRET: shorter than ${MIN_SECRET_LENGTH} characters`);
  else if (derivedFrom(sub, e.AUTH_JWT_SECRET) || derivedFrom(sub, DEV_SECRET)) out.push('GATEWAY_SUBGRAPH_SECRET: is derived from AUTH_JWT_SECRET or the development secret; use a secret of its own');
  if (e.AUTH_JWKS_URL) {
    if (!e.AUTH_AUDIENCE) out.push('AUTH_AUDIENCE: required with AUTH_JWKS_URL');
    if (!e.AUTH_ISSUER) out.push('AUTH_ISSUER: required with AUTH_JWKS_URL');
  }
  return out;
}

function derivedFrom(candidate: string, secret: string): boolean {
  return candidate === secret || candidate.includes(secret) || secret.includes(candidate);
}

let cached: Env | undefined;

/** The process's environment, parsed once; on a bad value the process stops with the message. */
export function env(): Env {
  if (!cached) {
    try {
      cached = parseEnv();
    } catch (e) {
      if (e instanceof ConfigError) {
        // the logger depends on this module; a refusal to start goes straight to stderr
        process.stderr.write(JSON.stringify({ level: 'fatal', time: new Date().toISOString(), msg: e.message }) + '\n');
        process.exit(78);
      }
      throw e;
    }
  }
  return cached;
}

/** The secret the gateway signs forwarded callers with; subgraphs verify it. */
export function subgraphSecret(e: Env): string {
  return e.GATEWAY_SUBGRAPH_SECRET ?? `${e.AUTH_JWT_SECRET}:subgraphs`;
}

export const isDevSecret = (e: Env) => e.AUTH_JWT_SECRET === DEV_SECRET;

/**
 * Every subgraph's BullMQ queues, as bull-board shows them (configuration, so the gateway needs
 * no subgraph code): job queues from each subgraph's jobs files, and one `events.<consumer>`
 * queue per event consumer (libs/events ROUTES). ADMIN_QUEUES replaces the list.
 */
export const CITY_QUEUES: readonly string[] = Object.freeze([
  'settlement.admission',
  'settlement.hukou-overdue',
  'civic.rhythm',
  'enterprise-credit.scoring',
  'enterprise-credit.webhook-deliveries',
  'enterprise-credit.maintenance',
  'social-organisations.grading',
  'volunteering.jobs',
  'events.settlement',
  'events.civic',
  'events.volunteering',
  'events.enterprise-credit',
  'events.social-organisations',
]);

export function adminQueueNames(e: Pick<Env, 'ADMIN_QUEUES'>): string[] {
  if (!e.ADMIN_QUEUES) return [...CITY_QUEUES];
  return e.ADMIN_QUEUES.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
export * from './subgraphs';
