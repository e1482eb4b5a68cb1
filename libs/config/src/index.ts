import { z } from 'zod';

const DEV_SECRET = 'citypoints-development-secret-do-not-use-in-production';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.string().url().optional())
  .optional();

/** Every variable citypoints reads, parsed once at boot. `.env.example` lists the same. */
export const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: optionalUrl,
  REDIS_URL: optionalUrl,
  QUEUE_BACKEND: z.enum(['auto', 'redis', 'postgres']).default('auto'),
  QUEUE_PREFIX: z.string().min(1).default('citypoints'),
  AUTH_JWT_SECRET: z.string().min(16).default(DEV_SECRET),
  AUTH_JWKS_URL: optionalUrl,
  AUTH_ISSUER: z.string().optional(),
  GATEWAY_SUBGRAPH_SECRET: z.string().min(16).optional(),
  GATEWAY_PORT: port(4000),
  GATEWAY_MAX_DEPTH: z.coerce.number().int().min(2).max(50).default(12),
  GATEWAY_MAX_COST: z.coerce.number().int().min(10).default(50_000),
  GATEWAY_SUPERGRAPH: z.enum(['file', 'introspect']).default('file'),
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
  if (result.data.NODE_ENV === 'production' && result.data.AUTH_JWT_SECRET === DEV_SECRET && !result.data.AUTH_JWKS_URL) {
    throw new ConfigError('invalid environment:\n  AUTH_JWT_SECRET: production needs AUTH_JWKS_URL or a secret of its own');
  }
  return result.data;
}

let cached: Env | undefined;

/** The process's environment, parsed once; on a bad value the process stops with the message. */
export function env(): Env {
  if (!cached) {
    try {
      cached = parseEnv();
    } catch (e) {
      if (e instanceof ConfigError) {
        console.error(e.message);
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
