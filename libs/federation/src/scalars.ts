import { GraphQLScalarType, Kind, type GraphQLScalarTypeConfig } from 'graphql';
import { GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';
import { badInput, isIsoDate } from '@citypoints/kit';

/** `Date`: a calendar day, YYYY-MM-DD, carried as a string. */
export const DateScalar = new GraphQLScalarType<string, string>({
  name: 'Date',
  description: 'A calendar day, YYYY-MM-DD',
  serialize(value) {
    if (value instanceof Date) return value.toISOString().slice(0, 10);
    if (typeof value === 'string' && isIsoDate(value.slice(0, 10))) return value.slice(0, 10);
    throw new TypeError('Date cannot represent ' + String(value));
  },
  parseValue(value) {
    if (typeof value !== 'string' || !isIsoDate(value)) throw badInput(`not a date (YYYY-MM-DD): ${String(value)}`);
    return value;
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING || !isIsoDate(ast.value)) throw badInput('not a date (YYYY-MM-DD)');
    return ast.value;
  },
});

/**
 * `DateTime`: RFC 3339 with an offset. graphql-scalars' scalar throws a TypeError on a bad value,
 * which the error mapping would call internal; this one says BAD_USER_INPUT, for literals and
 * variables alike.
 */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  ...(GraphQLDateTime.toConfig() as unknown as GraphQLScalarTypeConfig<Date, string>),
  parseValue(value) {
    try {
      return GraphQLDateTime.parseValue(value);
    } catch {
      throw badInput(`not a DateTime (RFC 3339, e.g. 2026-03-01T09:00:00+08:00): ${String(value).slice(0, 40)}`);
    }
  },
  parseLiteral(ast, variables) {
    try {
      return GraphQLDateTime.parseLiteral(ast, variables);
    } catch {
      throw badInput('not a DateTime (RFC 3339, e.g. 2026-03-01T09:00:00+08:00)');
    }
  },
});
export const JSONScalar = GraphQLJSON;

/** type-graphql maps TypeScript `Date` to the contract's `DateTime`. */
export const scalarsMap = [{ type: Date, scalar: DateTimeScalar }];
