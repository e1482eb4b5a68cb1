import {
  GraphQLError,
  Kind,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  isInterfaceType,
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValueNode,
} from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { MAX_PAGE } from '@citypoints/kit';

/** How list sizes are known: literals always; variables only when their values are given. */
type Variables = Record<string, unknown> | null;

interface CostOptions {
  /** the page a list field returns when no `first` says otherwise */
  listSize: number;
  /** what a list size given by a variable costs when the value is not known (the largest page) */
  unknownSize: number;
  variables: Variables;
}

/**
 * Depth, root-field and cost limits, as validation rules on the supergraph's API schema (run
 * once per distinct document). Cost: one per field, multiplied along the path by the page a list
 * field can return. A size given by a variable is costed again with its value by `costPlugin`,
 * since validation results are cached per document and never see variables.
 */
export function queryLimits(maxDepth: number, maxCost: number, defaultListSize = 50, maxRootFields = 100) {
  return (context: ValidationContext): ASTVisitor => {
    const schema = context.getSchema();
    const fragments = fragmentsOf(context.getDocument());
    return {
      OperationDefinition(node) {
        const root = rootType(schema, node);
        if (!root) return;
        const rootFields = countRootFields(node.selectionSet, fragments, new Set());
        if (rootFields > maxRootFields) {
          context.reportError(
            new GraphQLError(`the operation selects ${rootFields} root fields; at most ${maxRootFields} are allowed (aliases count)`, { extensions: { code: 'BAD_USER_INPUT', limit: 'rootFields' } }),
          );
          return;
        }
        // variables unknown here: a size given by a variable counts 1 now, its value in costPlugin
        const { depth, cost } = measure(schema, root, node.selectionSet, fragments, { listSize: defaultListSize, unknownSize: 1, variables: null }, 0, new Set());
        if (depth > maxDepth) {
          context.reportError(new GraphQLError(`query depth ${depth} exceeds the limit of ${maxDepth}`, { extensions: { code: 'BAD_USER_INPUT', limit: 'depth' } }));
        }
        if (cost > maxCost) {
          context.reportError(new GraphQLError(`query cost ${cost} exceeds the limit of ${maxCost}`, { extensions: { code: 'BAD_USER_INPUT', limit: 'cost' } }));
        }
      },
    };
  };
}

/**
 * The cost of the operation about to run, with its variables: `first: $n` costs the value of
 * `$n`, a list given as a variable costs its length; a variable left out costs the field's
 * default page, and a value that is no size at all the largest page. Refused with BAD_USER_INPUT
 * before anything is fetched.
 */
export function costPlugin<C extends object>(maxCost: number, defaultListSize = 50, unknownSize = MAX_PAGE): ApolloServerPlugin<C> {
  // an operation's cost with the same variables is the same: remembered per operation node (Apollo
  // Server hands every request of one query text the same parsed document) and per variables, a
  // few hundred variable sets per operation at most
  const costs = new WeakMap<GraphQLSchema, WeakMap<OperationDefinitionNode, Map<string, number>>>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(rc) {
          const schema = rc.schema;
          const op = rc.operation;
          if (!op) return;
          const root = rootType(schema, op);
          if (!root) return;
          let bySchema = costs.get(schema);
          if (!bySchema) costs.set(schema, (bySchema = new WeakMap()));
          let byVariables = bySchema.get(op);
          if (!byVariables) bySchema.set(op, (byVariables = new Map()));
          const key = op.variableDefinitions?.length ? JSON.stringify(rc.request.variables ?? {}) : '';
          let cost = byVariables.get(key);
          if (cost === undefined) {
            const variables = { ...defaultsOf(op), ...(rc.request.variables ?? {}) };
            cost = measure(schema, root, op.selectionSet, fragmentsOf(rc.document), { listSize: defaultListSize, unknownSize, variables }, 0, new Set()).cost;
            if (byVariables.size >= 256) byVariables.clear();
            byVariables.set(key, cost);
          }
          if (cost > maxCost) {
            throw new GraphQLError(`query cost ${cost} exceeds the limit of ${maxCost}`, { extensions: { code: 'BAD_USER_INPUT', limit: 'cost', http: { status: 400 } } });
          }
        },
      };
    },
  };
}

function rootType(schema: GraphQLSchema, node: OperationDefinitionNode): GraphQLObjectType | null | undefined {
  return node.operation === 'mutation' ? schema.getMutationType() : node.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
}

function fragmentsOf(doc: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of doc.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  return fragments;
}

function defaultsOf(op: OperationDefinitionNode): Record<string, unknown> {
  // no prototype: a variable named __proto__ is a key like any other
  const out: Record<string, unknown> = Object.create(null);
  for (const v of op.variableDefinitions ?? []) {
    const d = v.defaultValue;
    if (!d) continue;
    if (d.kind === Kind.INT) out[v.variable.name.value] = Number(d.value);
    else if (d.kind === Kind.LIST) out[v.variable.name.value] = d.values;
  }
  return out;
}

/** Root fields of a selection, fragments (inline or named) expanded; `__typename` counts too. */
export function countRootFields(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, visiting: Set<string>): number {
  let n = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) n += 1;
    else if (sel.kind === Kind.INLINE_FRAGMENT) n += countRootFields(sel.selectionSet, fragments, visiting);
    else {
      const frag = fragments.get(sel.name.value);
      if (!frag || visiting.has(frag.name.value)) continue;
      visiting.add(frag.name.value);
      n += countRootFields(frag.selectionSet, fragments, visiting);
      visiting.delete(frag.name.value);
    }
  }
  return n;
}

function measure(
  schema: GraphQLSchema,
  parent: GraphQLObjectType,
  set: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  o: CostOptions,
  level: number,
  visiting: Set<string>,
): { depth: number; cost: number } {
  let depth = level;
  let cost = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      const r = measureField(schema, parent, sel, fragments, o, level, visiting);
      depth = Math.max(depth, r.depth);
      cost += r.cost;
    } else {
      let typeName: string | undefined;
      let inner: SelectionSetNode;
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        typeName = sel.typeCondition?.name.value;
        inner = sel.selectionSet;
      } else {
        const frag = fragments.get(sel.name.value);
        if (!frag || visiting.has(frag.name.value)) continue;
        visiting.add(frag.name.value);
        typeName = frag.typeCondition.name.value;
        inner = frag.selectionSet;
      }
      const t = typeName ? schema.getType(typeName) : parent;
      const target = t && isObjectType(t) ? t : parent;
      const r = measure(schema, target, inner, fragments, o, level, visiting);
      if (sel.kind === Kind.FRAGMENT_SPREAD) visiting.delete(sel.name.value);
      depth = Math.max(depth, r.depth);
      cost += r.cost;
    }
  }
  return { depth, cost };
}

/** The number a size argument stands for: a literal, a variable's value, or `unknownSize`. */
function sizeOf(value: ValueNode, o: CostOptions): number | null {
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.LIST) return value.values.length;
  if (value.kind === Kind.NULL) return null;
  if (value.kind === Kind.VARIABLE) {
    if (!o.variables) return o.unknownSize;
    // the request's own variables only: `$constructor` left out is not Object's member
    const v = Object.hasOwn(o.variables, value.name.value) ? o.variables[value.name.value] : undefined;
    if (typeof v === 'number' && Number.isFinite(v)) return Math.max(0, Math.floor(v));
    if (Array.isArray(v)) return v.length;
    // a variable the request leaves out (or sets to null) leaves the argument unset: the field's own default page applies
    if (v === null || v === undefined) return null;
    return o.unknownSize;
  }
  return null;
}

function measureField(
  schema: GraphQLSchema,
  parent: GraphQLObjectType,
  node: FieldNode,
  fragments: Map<string, FragmentDefinitionNode>,
  o: CostOptions,
  level: number,
  visiting: Set<string>,
): { depth: number; cost: number } {
  if (node.name.value.startsWith('__')) return { depth: level, cost: 0 };
  const field: GraphQLField<unknown, unknown> | undefined = parent.getFields()[node.name.value];
  // a field taking a list argument (ids: [ID!]) does one lookup per element
  let listArg = 0;
  let first: number | null = null;
  for (const a of node.arguments ?? []) {
    const def = field?.args.find((x) => x.name === a.name.value);
    if (a.name.value === 'first') first = sizeOf(a.value, o);
    else if (def && isListType(getNullableType(def.type))) listArg = Math.max(listArg, sizeOf(a.value, o) ?? 0);
  }
  if (!field || !node.selectionSet) return { depth: level + 1, cost: Math.max(1, listArg) };
  const nullable = getNullableType(field.type);
  const multiplier = Math.max(isListType(nullable) ? (first ?? o.listSize) : (first ?? 1), listArg);
  const named = getNamedType(field.type);
  const target = isObjectType(named) ? named : isInterfaceType(named) ? null : null;
  if (!target) return { depth: level + 1, cost: Math.max(1, listArg) };
  const inner = measure(schema, target, node.selectionSet, fragments, o, level + 1, visiting);
  return { depth: inner.depth, cost: 1 + multiplier * inner.cost };
}
