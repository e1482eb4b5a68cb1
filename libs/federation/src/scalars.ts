import { GraphQLScalarType, Kind } from 'graphql';
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

export const DateTimeScalar = GraphQLDateTime;
export const JSONScalar = GraphQLJSON;

/** type-graphql maps TypeScript `Date` to the contract's `DateTime`. */
export const scalarsMap = [{ type: Date, scalar: DateTimeScalar }];
