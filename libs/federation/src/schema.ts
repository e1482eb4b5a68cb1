import 'reflect-metadata';
import { parse, GraphQLSchema } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { buildSchema, createResolversMap, type AuthChecker, type NonEmptyArray, type BuildSchemaOptions } from 'type-graphql';
import { requireCaller, requireRole, type Role } from '@citypoints/auth';
import type { SubgraphContext } from './context';
import { scalarsMap } from './scalars';

const LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible", "@override", "@tag", "@interfaceObject"])`;

/**
 * `@Authorized()` needs a verified caller; `@Authorized('ROLE', …)` one of those roles (the city
 * admin has every role). Failures carry UNAUTHENTICATED or FORBIDDEN, not type-graphql's generic
 * message. Division scoping is a service's job: it depends on the data's division.
 */
export const authChecker: AuthChecker<SubgraphContext> = ({ context }, roles) => {
  requireCaller(context.caller);
  if (roles.length) requireRole(context.caller, ...(roles as Role[]));
  return true;
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ReferenceResolvers = Record<string, { __resolveReference: (ref: any, ctx: SubgraphContext<any>) => unknown }>;

export interface FederatedSchemaOptions {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  resolvers: NonEmptyArray<Function>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  orphanedTypes?: Function[];
  referenceResolvers?: ReferenceResolvers;
  validate?: BuildSchemaOptions['validate'];
}

export interface FederatedSchema {
  schema: GraphQLSchema;
  /** the subgraph's SDL with federation directives, as composition reads it */
  sdl: string;
}

/** Builds a type-graphql schema into a Federation 2 subgraph: the one way every subgraph does it. */
export async function buildFederatedSchema(o: FederatedSchemaOptions): Promise<FederatedSchema> {
  const built = await buildSchema({
    resolvers: o.resolvers,
    orphanedTypes: o.orphanedTypes,
    authChecker,
    skipCheck: true,
    scalarsMap,
    validate: o.validate ?? { forbidUnknownValues: false },
    emitSchemaFile: false,
  });
  const sdl = LINK + '\n\n' + printSchemaWithDirectives(built);
  const resolverMap = createResolversMap(built) as Record<string, Record<string, unknown>>;
  for (const [typeName, ref] of Object.entries(o.referenceResolvers ?? {})) {
    resolverMap[typeName] = { ...(resolverMap[typeName] ?? {}), __resolveReference: ref.__resolveReference };
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const schema = buildSubgraphSchema([{ typeDefs: parse(sdl), resolvers: resolverMap as any }]);
  return { schema, sdl };
}
