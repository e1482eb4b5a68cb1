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
});
