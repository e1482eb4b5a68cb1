import { Arg, Ctx, Field, ID, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { buildFederatedSchema, DateScalar, type SubgraphContext, type SubgraphModule } from '@citypoints/federation';
import { openSubgraphDataSource, type DataSource } from '@citypoints/db';
import { composeSupergraph } from '@citypoints/gateway';
import type { TestCity } from '@citypoints/test-city';

interface GaugeRuntime {
  ds: DataSource;
}
type Ctx = SubgraphContext<GaugeRuntime>;

@ObjectType('GaugeItem')
class GaugeItem {
  @Field(() => Int) n: number;
}

@Resolver()
class GaugeResolver {
  @Query(() => [GaugeItem], { description: 'first items, for costing a page size given by a variable' })
  gaugeItems(@Arg('first', () => Int, { nullable: true }) first?: number): GaugeItem[] {
    return Array.from({ length: Math.min(first ?? 50, 500) }, (_, n) => ({ n }));
  }

  @Query(() => [String], { description: 'one answer per id: a list argument costs its length' })
  gaugeLookup(@Arg('ids', () => [ID]) ids: string[]): string[] {
    return ids.map((id) => `seen ${id}`);
  }

  @Query(() => String, { description: 'echoes a DateTime and a Date' })
  gaugeWhen(@Arg('at', () => Date) at: Date, @Arg('day', () => DateScalar, { nullable: true }) day?: string): string {
    return `${at.toISOString()} ${day ?? '-'}`;
  }

  @Query(() => String, { description: 'answers after 10 s, long after a gateway timeout' })
  async gaugeSlow(): Promise<string> {
    await new Promise((r) => setTimeout(r, 10_000).unref());
    return 'late';
  }

  @Mutation(() => Boolean, { description: 'runs SQL that fails, with personal data among its parameters' })
  async gaugeFailingSql(@Arg('idNumber') idNumber: string, @Arg('name') name: string, @Ctx() ctx: Ctx): Promise<boolean> {
    // a table that does not exist: an internal failure (not the caller's input) with personal data among the parameters
    await ctx.rt.ds.query('SELECT $1::text AS n, $2::text AS m FROM gauge_missing_table', [idNumber, name]);
    return true;
  }
}

/** A small subgraph for the gateway's limit tests: list sizes, scalars, a slow field, failing SQL. */
export const gauge: SubgraphModule = {
  name: 'gauge',
  schema: 'gauge',
  portVariable: 'REGISTRY_PORT',
  buildSchema: () => buildFederatedSchema({ resolvers: [GaugeResolver] }),
  async create(deps) {
    const ds = await openSubgraphDataSource({ url: deps.databaseUrl, schema: 'gauge', entities: [], migrations: [] });
    const federated = await gauge.buildSchema();
    const runtime: GaugeRuntime = { ds };
    return { name: 'gauge', runtime, federated, dataSource: ds, ready: async () => ds.isInitialized, startWorkers: async () => undefined, close: () => ds.destroy() };
  },
};

/** The supergraph of a running test city, for a second gateway with options of its own. */
export function composeSupergraphFrom(city: TestCity): { sdl: string; urls: Record<string, string> } {
  const names = Object.keys(city.instances);
  const urls = Object.fromEntries(names.map((n) => [n, city.servers[n].url]));
  return { sdl: composeSupergraph(names.map((n) => ({ name: n, sdl: city.instances[n].federated.sdl, url: urls[n] }))), urls };
}
