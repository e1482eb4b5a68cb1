import { GraphQLError, Kind, getNamedType, getNullableType, isListType, type ASTVisitor, type FieldNode, type FragmentDefinitionNode, type GraphQLField, type GraphQLObjectType, type SelectionSetNode, type ValidationContext, type GraphQLSchema, isObjectType, isInterfaceType } from 'graphql';

/**
 * Depth and cost limits, as validation rules on the supergraph's API schema. Cost: one per field,
 * multiplied along the path by the page a list field can return (`first`, else a default page).
 */
export function queryLimits(maxDepth: number, maxCost: number, defaultListSize = 50) {
  return (context: ValidationContext): ASTVisitor => {
    const schema = context.getSchema();
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    return {
      OperationDefinition(node) {
        const root = node.operation === 'mutation' ? schema.getMutationType() : node.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
        if (!root) return;
        const { depth, cost } = measure(schema, root, node.selectionSet, fragments, defaultListSize, 0, new Set());
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

function measure(
  schema: GraphQLSchema,
  parent: GraphQLObjectType,
  set: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  listSize: number,
  level: number,
  visiting: Set<string>,
): { depth: number; cost: number } {
  let depth = level;
  let cost = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      const r = measureField(schema, parent, sel, fragments, listSize, level, visiting);
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
      const r = measure(schema, target, inner, fragments, listSize, level, visiting);
      if (sel.kind === Kind.FRAGMENT_SPREAD) visiting.delete(sel.name.value);
      depth = Math.max(depth, r.depth);
      cost += r.cost;
    }
  }
  return { depth, cost };
}

function measureField(
  schema: GraphQLSchema,
  parent: GraphQLObjectType,
  node: FieldNode,
  fragments: Map<string, FragmentDefinitionNode>,
  listSize: number,
  level: number,
  visiting: Set<string>,
): { depth: number; cost: number } {
  if (node.name.value.startsWith('__')) return { depth: level, cost: 0 };
  const field: GraphQLField<unknown, unknown> | undefined = parent.getFields()[node.name.value];
  if (!field || !node.selectionSet) return { depth: level + 1, cost: 1 };
  const firstArg = node.arguments?.find((a) => a.name.value === 'first');
  const first = firstArg && firstArg.value.kind === Kind.INT ? Number(firstArg.value.value) : null;
  const nullable = getNullableType(field.type);
  const multiplier = isListType(nullable) ? listSize : first ?? 1;
  const named = getNamedType(field.type);
  const target = isObjectType(named) ? named : isInterfaceType(named) ? null : null;
  if (!target) return { depth: level + 1, cost: 1 };
  const inner = measure(schema, target, node.selectionSet, fragments, listSize, level + 1, visiting);
  return { depth: inner.depth, cost: 1 + multiplier * inner.cost };
}
