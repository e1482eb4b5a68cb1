/**
 * Hostile input: every mutation of the composed supergraph is called through the gateway with
 * inputs generated from its argument types (fast-check) — wrong types, missing required fields,
 * out-of-range numbers, malformed dates, ID numbers and codes with wrong check characters, ids of
 * things that exist and things that do not, huge and odd strings, names of what every object
 * inherits (`__proto__`, `constructor`, …) as strings and JSON keys. Whatever comes in:
 * - the answer is never an internal error, and every refusal carries a code of the contract's list;
 * - a refused call writes nothing: no row of any subgraph schema is inserted, updated or deleted
 *   (a row trigger on every table logs each committed write in a table of the test's own, so a
 *   refused call that wrote anything — and did not roll it back — shows up as new log rows).
 *
 * Runs FUZZ_RUNS inputs per mutation (200 by default; `FUZZ_RUNS=2000 npx jest tests/e2e/fuzz`
 * for a longer run, `FUZZ_SEED=<n>` to replay a failure fast-check reported). The mutations are
 * split between two suites (fuzz-mutations-1/2.spec.ts) so jest's two workers share them.
 */
import fc from 'fast-check';
import { buildClientSchema, getIntrospectionQuery, getNamedType, isEnumType, isInputObjectType, isListType, isNonNullType, isObjectType, isScalarType, type GraphQLArgument, type GraphQLField, type GraphQLInputType, type GraphQLSchema, type IntrospectionQuery } from 'graphql';
import { CITY } from '../../infra/src/city';
import { genIdNumber, genUscc, ok, seed, startCity, withWrongCheck, type TestCity } from '@citypoints/test-city';
import { watchWrites, type WriteWatch } from './write-watch';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

/** The codes a refusal may carry: the contract's list, and GraphQL's own for a request it cannot coerce. */
const CONTRACT_CODES = new Set([
  'BAD_USER_INPUT', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'QUOTA_EXCEEDED', 'APPLICANT_BARRED',
  'INSUFFICIENT_POINTS', 'OUT_OF_STOCK', 'INVALID_STATE', 'INELIGIBLE', 'RATE_LIMITED', 'GRAPHQL_VALIDATION_FAILED',
]);

interface Known {
  residents: string[];
  usccs: string[];
  organisations: string[];
  divisions: string[];
}

function stringArb(known: Known): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '', ' ', 'yesterday', '2026-13-45', '2026-02-30', '-1', 'NaN', 'null', '{}', "'; DROP TABLE registry.residents; --",
        '\u0000', '张三明', '441900', '441900003', '441900003001', '2026-05', '2026-05-01', 'https://169.254.169.254/latest/meta-data',
        'http://127.0.0.1:4000/graphql', 'x'.repeat(5000),
        // what every object inherits: a lookup of a caller's string in an object must not find these
        '__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty',
      ),
    },
    { weight: 1, arbitrary: fc.constant(null).map(() => genIdNumber()) },
    { weight: 1, arbitrary: fc.constant(null).map(() => withWrongCheck(genIdNumber(), '0123456789X')) },
    { weight: 1, arbitrary: fc.constant(null).map(() => genUscc()) },
    { weight: 1, arbitrary: fc.constantFrom(...known.usccs, ...known.residents, ...known.divisions) },
  );
}

function idArb(known: Known): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known.residents, ...known.usccs, ...known.organisations, ...known.divisions) },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
    { weight: 1, arbitrary: fc.constantFrom('1', '0', '-1', '9999999999', 'NaN') },
  );
}

function scalarArb(name: string, known: Known): fc.Arbitrary<unknown> {
  switch (name) {
    case 'Int':
      return fc.oneof(fc.integer({ min: -5, max: 300 }), fc.constantFrom(0, -1, 1, 2147483647, -2147483648, 100000));
    case 'Float':
      return fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -0.5, 0.25, 8, 24, 1e9));
    case 'Boolean':
      return fc.boolean();
    case 'ID':
      return idArb(known);
    case 'DateTime':
      return fc.oneof(fc.date({ min: new Date('1900-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()), fc.constantFrom('yesterday', '2026-02-30T00:00:00Z', '', '2026-11-30'));
    case 'Date':
      return fc.oneof(fc.date({ min: new Date('1900-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)), fc.constantFrom('yesterday', '2026-02-30', '', '2026-11-30T00:00:00Z'));
    case 'JSON':
      return fc.oneof(
        { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
        // keys named after what every object inherits, as JSON can carry them
        { weight: 1, arbitrary: fc.constantFrom(...['{"__proto__": {"admin": true}}', '{"constructor": {"prototype": {"x": 1}}}', '{"toString": 1, "valueOf": 2}'].map((j) => JSON.parse(j) as unknown)) },
      );
    default:
      return stringArb(known);
  }
}

/** Values for a GraphQL input type: mostly well-typed, sometimes not (the gateway must refuse those cleanly too). */
function inputArb(type: GraphQLInputType, known: Known, depth = 0): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return fc.oneof({ weight: 15, arbitrary: inputArb(type.ofType, known, depth) }, { weight: 1, arbitrary: fc.constant(null) });
  const inner = ((): fc.Arbitrary<unknown> => {
    if (isListType(type)) return fc.array(inputArb(type.ofType, known, depth + 1), { maxLength: depth > 1 ? 1 : 4 });
    if (isEnumType(type)) return fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...type.getValues().map((v) => v.name)) }, { weight: 1, arbitrary: fc.constant('NOT_A_VALUE') });
    if (isInputObjectType(type)) {
      const fields = Object.values(type.getFields());
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const f of fields) model[f.name] = depth > 3 ? fc.constant(null) : inputArb(f.type, known, depth + 1);
      const required = fields.filter((f) => isNonNullType(f.type)).map((f) => f.name);
      // now and then a required field is left out, which only the gateway's coercion may refuse
      return fc.oneof({ weight: 12, arbitrary: fc.record(model, { requiredKeys: required }) }, { weight: 1, arbitrary: fc.record(model, { requiredKeys: [] }) });
    }
    if (isScalarType(type)) return fc.oneof({ weight: 15, arbitrary: scalarArb(type.name, known) }, { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 5 }), fc.integer(), fc.boolean()) });
    return fc.constant(null);
  })();
  return fc.oneof({ weight: 10, arbitrary: inner }, { weight: 1, arbitrary: fc.constant(null) });
}

function operationOf(field: GraphQLField<unknown, unknown>): string {
  const vars = field.args.map((a: GraphQLArgument) => `$${a.name}: ${a.type.toString()}`).join(', ');
  const args = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
  const selection = isObjectType(getNamedType(field.type)) || !isScalarType(getNamedType(field.type)) && !isEnumType(getNamedType(field.type)) ? ' { __typename }' : '';
  return `mutation${vars ? `(${vars})` : ''} { ${field.name}${args ? `(${args})` : ''}${selection} }`;
}

/** Fuzzes part `part` of `parts` of the supergraph's mutations (by name order, every parts-th). */
export function fuzzMutations(part: number, parts: number): void {
describe(`every mutation under hostile input, through the gateway (part ${part} of ${parts})`, () => {
  let city: TestCity;
  let schema: GraphQLSchema;
  let admin: string;
  let known: Known;
  let writes: WriteWatch;
  /** the committed writes logged so far, by table */
  const writesSince = (after: number) => writes.since(after);

  beforeAll(async () => {
    city = await startCity({ modules: CITY, label: `fuzz${part}` });
    admin = await city.token('CITY_ADMIN', { sub: 'fuzz-admin' });
    const s = seed(city);
    const residents = [await s.resident({ hukou: 'MIGRANT', divisionCode: '441900003001' }), await s.resident({ hukou: 'LOCAL', divisionCode: '441900121001' })];
    const enterprises = [await s.enterprise({ divisionCode: '441900003' }), await s.enterprise({ divisionCode: '441900121' })];
    const org = await s.organisation({ members: [enterprises[0].uscc] });
    known = { residents: residents.map((r) => r.id), usccs: enterprises.map((e) => e.uscc), organisations: [org.uscc], divisions: ['441900', '441900003', '441900003001', '441900121001'] };
    const introspection = ok(await city.query<IntrospectionQuery>(getIntrospectionQuery(), {}, admin));
    schema = buildClientSchema(introspection);
    writes = await watchWrites(city);
    // the whole city starts here, with a trigger on every table: slow on a loaded machine
  }, 240_000);
  afterAll(() => city?.close());

  it('has mutations to fuzz', () => {
    expect(Object.keys(schema.getMutationType()!.getFields()).length).toBeGreaterThan(50);
  });

  const SHARDS = 4;
  // each part's mutations in four shards (their names are only known once the city answers introspection); a failure names the mutation
  it.each(Array.from({ length: SHARDS }, (_, k) => k + 1))(`mutations, shard %i of ${SHARDS}: never an internal error; a refusal has a contract code and writes nothing`, async (k) => {
    const fields = Object.values(schema.getMutationType()!.getFields())
      .sort((a, b) => a.name.localeCompare(b.name))
      .filter((_, i) => i % parts === part - 1)
      .filter((_, i) => i % SHARDS === k - 1);
    expect(fields.length).toBeGreaterThan(0);
    for (const field of fields) {
      const query = operationOf(field);
      const varsArb = fc.record(Object.fromEntries(field.args.map((a) => [a.name, inputArb(a.type, known)])), { requiredKeys: [] });
      let seen = (await writesSince(0)).last;
      await fc.assert(
        fc.asyncProperty(varsArb, async (variables) => {
          const r = await city.query(query, variables as Record<string, unknown>, admin);
          const errors = r.errors ?? [];
          const codes = errors.map((e) => (e.extensions as { code?: string } | undefined)?.code ?? 'NO_CODE');
          for (const c of codes) {
            if (!CONTRACT_CODES.has(c)) throw new Error(`${field.name}: refused with ${c}: ${JSON.stringify(errors)} for ${JSON.stringify(variables).slice(0, 500)}`);
          }
          const writes = await writesSince(seen);
          seen = writes.last;
          const answered = r.data?.[field.name] !== undefined && r.data?.[field.name] !== null;
          if (errors.length && !answered && writes.tables.length) {
            throw new Error(`${field.name}: refused (${codes.join(', ')}) yet wrote to ${writes.tables.join(', ')} for ${JSON.stringify(variables).slice(0, 500)}`);
          }
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    }
  }, 15 * 60_000);
});
}
