import 'reflect-metadata';
import { Field, ObjectType, Query, Resolver } from 'type-graphql';
import { CALLER_HEADER, signForwardedCaller } from '@citypoints/auth';
import { buildFederatedSchema } from '../src/schema';
import { startSubgraphServer } from '../src/server';

@ObjectType('FaultProbe')
class FaultProbe {
  @Field()
  name!: string;
}

/** A driver's error as it crosses from node's own realm: a plain object with a code, not an Error. */
const refused = { errno: -111, code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port: 5432 };

@Resolver()
class FaultProbeResolver {
  @Query(() => FaultProbe)
  probeSync(): FaultProbe {
    return Object.assign(new FaultProbe(), { name: 'sync' });
  }

  @Query(() => FaultProbe)
  async probeRefused(): Promise<FaultProbe> {
    throw refused;
  }

  @Query(() => FaultProbe)
  async probeTerminated(): Promise<FaultProbe> {
    throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
  }

  @Query(() => FaultProbe)
  async probeBug(): Promise<FaultProbe> {
    throw new TypeError('cannot read properties of undefined');
  }
}

/**
 * Every subgraph's resolvers answer a database that went away with SERVICE_UNAVAILABLE, whatever
 * shape the driver's error has, and leave every other error (and every result) as it was.
 */
describe('resolvers whose database is unavailable', () => {
  it('fail with SERVICE_UNAVAILABLE, without the driver\'s message, and leave other errors internal', async () => {
    const { schema } = await buildFederatedSchema({ resolvers: [FaultProbeResolver] });
    const secret = 'probe-secret-of-enough-length-0123456789';
    const server = await startSubgraphServer({ name: 'probe', schema, port: 0, subgraphSecret: secret });
    const caller = await signForwardedCaller(secret, null);
    const run = async (field: string) => {
      const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', [CALLER_HEADER]: caller }, body: JSON.stringify({ query: `{ ${field} { name } }` }) });
      const body = (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
      return { data: body.data, errors: body.errors ?? [] };
    };
    try {
      expect(await run('probeSync')).toEqual({ data: { probeSync: { name: 'sync' } }, errors: [] });
      for (const field of ['probeRefused', 'probeTerminated']) {
        const r = await run(field);
        expect(r.errors.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
        expect(r.errors[0].message).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|administrator/);
      }
      expect((await run('probeBug')).errors.map((e) => [e.extensions?.code, e.message])).toEqual([['INTERNAL_SERVER_ERROR', 'internal error']]);
    } finally {
      await server.close();
    }
  });
});
