import { GraphQLError, parse } from 'graphql';
import { badInput, toGraphQLError } from '../src';

describe('one mapping of errors to GraphQL codes', () => {
  it('keeps a domain error\'s code and message', () => {
    const e = toGraphQLError(badInput('points must be above 0'));
    expect(e.extensions.code).toBe('BAD_USER_INPUT');
    expect(e.message).toBe('points must be above 0');
  });

  it('answers a value the database cannot store (NUL byte, out of range, check constraint) as BAD_USER_INPUT, naming no table or constraint', () => {
    for (const code of ['22021', '22003', '22P02', '22007', '23514']) {
      const e = toGraphQLError(Object.assign(new Error('new row for relation "service_hours" violates check constraint "service_hours_reported_hours_check"'), { code }));
      expect(e.extensions.code).toBe('BAD_USER_INPUT');
      expect(e.message).not.toMatch(/service_hours|constraint|relation/);
    }
  });

  it('answers a duplicate as CONFLICT and anything else unknown as an internal error', () => {
    expect(toGraphQLError(Object.assign(new Error('duplicate key'), { code: '23505' })).extensions.code).toBe('CONFLICT');
    const internal = toGraphQLError(Object.assign(new Error('could not serialize access'), { code: '40001' }));
    expect(internal.extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect(internal.message).toBe('internal error');
  });

  it('answers a database that went away or cannot be reached as SERVICE_UNAVAILABLE, without its message', () => {
    const gone = [
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
      Object.assign(new Error('the database system is shutting down'), { code: '57P03' }),
      Object.assign(new Error('connection failure'), { code: '08006' }),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      new Error('Connection terminated unexpectedly'),
      new Error('Client has encountered a connection error and is not queryable'),
      // TypeORM's QueryFailedError keeps the driver's error
      Object.assign(new Error('Query failed'), { driverError: Object.assign(new Error('server closed the connection'), { code: '57P01' }) }),
    ];
    for (const err of gone) {
      const e = toGraphQLError(err);
      expect(e.extensions.code).toBe('SERVICE_UNAVAILABLE');
      expect(e.message).not.toMatch(/127\.0\.0\.1|administrator|ECONN/);
    }
    for (const code of ['40001', '42P01', '23505', '0A000', '08']) expect(toGraphQLError(Object.assign(new Error('x'), { code })).extensions.code).not.toBe('SERVICE_UNAVAILABLE');
  });

  it("answers a resolver's unexpected error, located in the query, as an internal error without its message", () => {
    const located = new GraphQLError('cannot read properties of undefined', { nodes: parse('{ a }').definitions, originalError: new TypeError('cannot read properties of undefined') });
    const e = toGraphQLError(located);
    expect([e.extensions.code, e.message]).toEqual(['INTERNAL_SERVER_ERROR', 'internal error']);
    // a validation failure has no original error and keeps its message
    const invalid = toGraphQLError(new GraphQLError('Cannot query field "b"', { nodes: parse('{ b }').definitions }));
    expect([invalid.extensions.code, invalid.message]).toEqual(['GRAPHQL_VALIDATION_FAILED', 'Cannot query field "b"']);
  });
});
