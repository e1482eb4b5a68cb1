import 'reflect-metadata';
import { isInterfaceType, isObjectType, parse, GraphQLSchema } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { buildSchema, createResolversMap, type AuthChecker, type NonEmptyArray, type BuildSchemaOptions } from 'type-graphql';
import { requireCaller, requireRole, type Role } from '@citypoints/auth';
import { isUnavailableError, unavailable } from '@citypoints/kit';
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

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Resolver = (...args: any[]) => unknown;

/**
 * A resolver whose database went away mid-request (a restart, a failover) fails with
 * SERVICE_UNAVAILABLE instead of an internal error, whatever shape the driver's error has (a
 * socket error, a terminated session, TypeORM's released runner). Synchronous results stay
 * synchronous.
 */
function failUnavailable<F extends Resolver>(fn: F): F {
  const rethrow = (e: unknown): never => {
    throw isUnavailableError(e) ? unavailable() : e;
  };
  return function (this: unknown, ...args: unknown[]) {
    let r: unknown;
    try {
      r = fn.apply(this, args);
    } catch (e) {
      return rethrow(e);
    }
    return r instanceof Promise || (r && typeof (r as PromiseLike<unknown>).then === 'function') ? Promise.resolve(r).catch(rethrow) : r;
  } as F;
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
  for (const [typeName, fields] of Object.entries(resolverMap)) {
    const type = built.getType(typeName);
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    for (const [name, fn] of Object.entries(fields)) if (typeof fn === 'function' && !name.startsWith('__')) fields[name] = failUnavailable(fn as Resolver);
  }
  for (const [typeName, ref] of Object.entries(o.referenceResolvers ?? {})) {
    resolverMap[typeName] = { ...(resolverMap[typeName] ?? {}), __resolveReference: failUnavailable(ref.__resolveReference) };
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const schema = buildSubgraphSchema([{ typeDefs: parse(sdl), resolvers: resolverMap as any }]);
  return { schema, sdl };
}
