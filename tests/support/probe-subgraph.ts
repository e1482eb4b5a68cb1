import { Arg, Ctx, Directive, Field, FieldResolver, ID, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { buildFederatedSchema, type SubgraphContext, type SubgraphModule } from '@citypoints/federation';
import { openSubgraphDataSource } from '@citypoints/db';

@Directive('@key(fields: "id")')
@ObjectType('Resident')
class ProbeResident {
  @Field(() => ID) id: string;
}

@Resolver(() => ProbeResident)
class ProbeResolver {
  @Query(() => String, { description: 'answers without any other subgraph' })
  probeNotice(@Arg('text', { defaultValue: 'ok' }) text: string): string {
    return `notice: ${text}`;
  }

  @FieldResolver(() => String)
  probeNote(@Root() r: ProbeResident, @Ctx() ctx: SubgraphContext): string {
    return `note for ${r.id} (${ctx.caller ? 'signed-in' : 'anonymous'})`;
  }
}

/** A minimal subgraph for gateway tests: one root field and one field on Resident. */
export const probe: SubgraphModule = {
  name: 'probe',
  schema: 'probe',
  portVariable: 'REGISTRY_PORT',
  buildSchema: () =>
    buildFederatedSchema({ resolvers: [ProbeResolver], orphanedTypes: [ProbeResident], referenceResolvers: { Resident: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }) } } }),
  async create(deps) {
    const ds = await openSubgraphDataSource({ url: deps.databaseUrl, schema: 'probe', entities: [], migrations: [] });
    const federated = await probe.buildSchema();
    return {
      name: 'probe',
      federated,
      dataSource: ds,
      ready: async () => true,
      startWorkers: async () => undefined,
      close: () => ds.destroy(),
    };
  },
};
