import {
  GraphQLError,
  TypeInfo,
  getNamedType,
  getNullableType,
  isInputObjectType,
  isListType,
  isScalarType,
  typeFromAST,
  visit,
  visitWithTypeInfo,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { DateScalar, DateTimeScalar } from '@citypoints/federation';

/**
 * The scalars the gateway checks itself. The supergraph knows `DateTime` and `Date` only by name,
 * so a malformed value would reach a subgraph and come back as a failed fetch; checked here, it
 * is BAD_USER_INPUT before anything is fetched, whether given as a literal or in a variable.
 */
const CHECKED: Record<string, (value: unknown) => void> = {
  DateTime: (v) => void DateTimeScalar.parseValue(v),
  Date: (v) => void DateScalar.parseValue(v),
};

function bad(typeName: string, where: string): GraphQLError {
  return new GraphQLError(`${where} is not a valid ${typeName}${typeName === 'Date' ? ' (YYYY-MM-DD)' : ' (RFC 3339, e.g. 2026-03-01T09:00:00+08:00)'}`, {
    extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
  });
}

function check(typeName: string, value: unknown, where: string): void {
  try {
    CHECKED[typeName](value);
  } catch {
    throw bad(typeName, where);
  }
}

/** Walks a variable's value along its input type, checking every DateTime and Date inside. */
function checkValue(type: GraphQLInputType, value: unknown, where: string): void {
  if (value === null || value === undefined) return;
  const t = getNullableType(type);
  if (isListType(t)) {
    if (Array.isArray(value)) value.forEach((v, i) => checkValue(t.ofType, v, `${where}[${i}]`));
    else checkValue(t.ofType, value, where);
    return;
  }
  if (isInputObjectType(t)) {
    if (typeof value !== 'object') return;
    const fields = t.getFields();
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (fields[k]) checkValue(fields[k].type, v, `${where}.${k}`);
    return;
  }
  if (isScalarType(t) && CHECKED[t.name]) check(t.name, value, where);
}

export function checkInputScalars(schema: GraphQLSchema, op: OperationDefinitionNode, variables: Record<string, unknown>): void {
  checkVariables(schema, op, variables);
  checkLiterals(schema, op);
}

function checkVariables(schema: GraphQLSchema, op: OperationDefinitionNode, variables: Record<string, unknown>): void {
  for (const def of op.variableDefinitions ?? []) {
    const type = typeFromAST(schema, def.type as never) as GraphQLInputType | undefined;
    const name = def.variable.name.value;
    // the request's own variables only: `$constructor` or `$toString` left out is not Object's member
    if (type && Object.hasOwn(variables, name)) checkValue(type, variables[name], `$${name}`);
  }
}

/** The literals of an operation, checked by walking it with its types. */
function checkLiterals(schema: GraphQLSchema, op: OperationDefinitionNode): void {
  const typeInfo = new TypeInfo(schema);
  visit(
    op,
    visitWithTypeInfo(typeInfo, {
      StringValue(node) {
        const named = getNamedType(typeInfo.getInputType());
        if (named && isScalarType(named) && CHECKED[named.name]) check(named.name, node.value, `"${node.value.slice(0, 40)}"`);
      },
      IntValue(node) {
        const named = getNamedType(typeInfo.getInputType());
        if (named && isScalarType(named) && CHECKED[named.name]) check(named.name, Number(node.value), node.value);
      },
    }),
  );
}

/**
 * Checks each request's variables; an operation's literals are checked once: Apollo Server hands
 * every request of the same query text the same parsed document (its document cache), so the
 * verdict on an operation node is remembered for as long as that node lives.
 */
export function inputScalarsPlugin<C extends object>(): ApolloServerPlugin<C> {
  const literals = new WeakMap<GraphQLSchema, WeakMap<OperationDefinitionNode, GraphQLError | null>>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(rc) {
          const op = rc.operation;
          if (!op) return;
          checkVariables(rc.schema, op, rc.request.variables ?? {});
          let bySchema = literals.get(rc.schema);
          if (!bySchema) literals.set(rc.schema, (bySchema = new WeakMap()));
          let verdict = bySchema.get(op);
          if (verdict === undefined) {
            try {
              checkLiterals(rc.schema, op);
              verdict = null;
            } catch (e) {
              if (!(e instanceof GraphQLError)) throw e;
              verdict = e;
            }
            bySchema.set(op, verdict);
          }
          if (verdict) throw verdict;
        },
      };
    },
  };
}
