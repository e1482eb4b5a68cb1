import fs from 'node:fs';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { execute, parse, type GraphQLError } from 'graphql';
import type { Caller } from '@citypoints/auth';
import type { QueueConnection } from '@citypoints/jobs';
import type { SubgraphInstance } from '@citypoints/federation';
import { systemClock, toGraphQLError } from '@citypoints/kit';
import { CITY } from '../src/city';
import { CsvParser, csvField } from './csv';
import { FEEDS, RowError, type Feed, type FeedKind } from './feeds';

export interface ImportOptions {
  kind: FeedKind;
  file: string;
  /** where bad rows go; default `<file>.rejects.csv` */
  rejectsFile?: string;
  databaseUrl: string;
  queue: QueueConnection;
  queuePrefix?: string;
  /** the department submitting a labour or credit feed */
  department?: string;
  /** rows per call (default 500) */
  batchSize?: number;
  /** progress and messages; default none */
  progress?: (p: { bytes: number; totalBytes: number; rows: number }) => void;
  log?: (message: string) => void;
}

export interface ImportSummary {
  kind: FeedKind;
  rows: number;
  /** accepted by the API: new, or an idempotent replay of a row already imported */
  accepted: number;
  /** refused as already there (CONFLICT): a re-run of the same file */
  alreadyPresent: number;
  rejected: number;
  rejectsFile: string;
  seconds: number;
}

interface PendingRow {
  line: number;
  fields: string[];
  input: Record<string, unknown>;
}

/** a row of the batch: to be sent, or refused already (its reason), kept in file order */
type BatchRow = PendingRow | { line: number; fields: string[]; refused: string };

type Outcome = { ok: true } | { ok: false; code: string; reason: string };

const dropUndefined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** The row's error as the API reports it: its code and message, as a client would see them. */
function outcomeOf(error: GraphQLError): Outcome {
  if (!error.path?.length) {
    // a value that does not fit its input type: what the API answers with BAD_USER_INPUT, named by field
    const message = error.message.replace(/^Variable "\$\w+" got invalid value (.*?) at "\w+\.([\w.[\]]+)"; /, '$2: invalid value $1; ').replace(/^Variable "\$\w+" got invalid value /, 'invalid value ');
    return { ok: false, code: 'BAD_USER_INPUT', reason: message };
  }
  const mapped = toGraphQLError(error);
  const code = String(mapped.extensions.code ?? 'INTERNAL_SERVER_ERROR');
  return { ok: false, code, reason: code === 'INTERNAL_SERVER_ERROR' ? 'internal error' : mapped.message };
}

/**
 * Runs one call of the feed's mutation against the subgraph's own schema, in this process, with
 * the feed's caller — the resolvers, validation and transactions of the API, without a network.
 */
async function call(inst: SubgraphInstance, feed: Feed, caller: Caller, rows: PendingRow[]): Promise<Outcome[]> {
  const { field, inputType, argument } = feed.shape;
  const context = { caller, requestId: randomUUID(), loaders: new Map(), rt: inst.runtime };
  const run = async (source: string, variableValues: Record<string, unknown>) =>
    execute({ schema: inst.federated.schema, document: parse(source), contextValue: context, variableValues });
  if (feed.shape.type === 'list') {
    const r = await run(`mutation Import($rows: ${inputType}) { ${field}(${argument}: $rows) }`, { rows: rows.map((x) => dropUndefined(x.input)) });
    if (!r.errors?.length) return rows.map(() => ({ ok: true }));
    if (rows.length === 1) return [outcomeOf(r.errors[0])];
  } else {
    const vars = rows.map((_, i) => `$i${i}: ${inputType}`).join(', ');
    const fields = rows.map((_, i) => `r${i}: ${field}(${argument}: $i${i}) { __typename }`).join(' ');
    const r = await run(`mutation Import(${vars}) { ${fields} }`, Object.fromEntries(rows.map((x, i) => [`i${i}`, dropUndefined(x.input)])));
    const requestLevel = r.errors?.some((e) => !e.path?.length);
    if (!requestLevel) {
      const byRow = new Map<number, GraphQLError>();
      for (const e of r.errors ?? []) byRow.set(Number(String(e.path![0]).slice(1)), e);
      return rows.map((_, i) => (byRow.has(i) ? outcomeOf(byRow.get(i)!) : { ok: true }));
    }
    if (rows.length === 1) return [outcomeOf(r.errors!.find((e) => !e.path?.length)!)];
  }
  // a refusal of the whole call (a list in one transaction, or a variable that does not fit
  // its type): each row again on its own names the rows at fault
  const out: Outcome[] = [];
  for (const row of rows) out.push(...(await call(inst, feed, caller, [row])));
  return out;
}

/**
 * Streams a CSV file through the feed's mutation in batches: bounded memory whatever the file's
 * size, every row through the API's validation, bad rows to the rejects file with their line and
 * reason, and re-runs that change nothing already imported.
 */
export async function runImport(o: ImportOptions): Promise<ImportSummary> {
  const feed = FEEDS[o.kind];
  const caller = feed.caller({ department: o.department });
  const log = o.log ?? (() => undefined);
  const started = Date.now();
  const totalBytes = fs.statSync(o.file).size;
  const rejectsFile = o.rejectsFile ?? `${o.file}.rejects.csv`;
  const batchSize = o.batchSize ?? 500;
  const module = CITY.find((m) => m.name === feed.subgraph)!;
  const inst = await module.create({ databaseUrl: o.databaseUrl, queue: o.queue, queuePrefix: o.queuePrefix, clock: systemClock, log });
  const rejects = fs.createWriteStream(rejectsFile, { encoding: 'utf8' });
  const summary: ImportSummary = { kind: o.kind, rows: 0, accepted: 0, alreadyPresent: 0, rejected: 0, rejectsFile, seconds: 0 };
  let header: string[] | null = null;
  let batch: BatchRow[] = [];
  let bytes = 0;

  const writeReject = async (line: number, reason: string, fields: string[]) => {
    summary.rejected++;
    if (!rejects.write([line, reason, ...fields].map(csvField).join(',') + '\n')) await once(rejects, 'drain');
  };
  const flush = async () => {
    if (!batch.length) return;
    const all = batch;
    batch = [];
    const rows = all.filter((r): r is PendingRow => !('refused' in r));
    const outcomes = new Map<BatchRow, Outcome>();
    if (rows.length) (await call(inst, feed, caller, rows)).forEach((out, i) => outcomes.set(rows[i], out));
    for (const row of all) {
      const out: Outcome = 'refused' in row ? { ok: false, code: 'BAD_USER_INPUT', reason: row.refused } : outcomes.get(row)!;
      if (out.ok) summary.accepted++;
      else if (out.code === 'CONFLICT') summary.alreadyPresent++;
      else await writeReject(row.line, `${out.code}: ${out.reason}`, row.fields);
    }
  };
  const take = async (rec: { line: number; fields: string[] }) => {
    if (!header) {
      header = rec.fields.map((f) => f.trim().replace(/^\uFEFF/, ''));
      const missing = feed.required.filter((c) => !header!.includes(c));
      if (missing.length) throw new Error(`${o.file}: the header lacks the column(s) ${missing.join(', ')} of a ${o.kind} feed (${[...feed.required, ...feed.optional].join(',')})`);
      const unknown = header.filter((c) => !feed.required.includes(c) && !feed.optional.includes(c));
      if (unknown.length) log(`ignoring column(s) ${unknown.join(', ')}`);
      if (!rejects.write(['line', 'reason', ...header].map(csvField).join(',') + '\n')) await once(rejects, 'drain');
      return;
    }
    summary.rows++;
    if (rec.fields.length !== header.length) batch.push({ line: rec.line, fields: rec.fields, refused: `${rec.fields.length} fields where the header has ${header.length}` });
    else {
      const row = Object.fromEntries(header.map((h, i) => [h, rec.fields[i]]));
      try {
        batch.push({ line: rec.line, fields: rec.fields, input: feed.toInput(row) });
      } catch (e) {
        if (!(e instanceof RowError)) throw e;
        batch.push({ line: rec.line, fields: rec.fields, refused: e.message });
      }
    }
    if (batch.length >= batchSize) {
      await flush();
      o.progress?.({ bytes, totalBytes, rows: summary.rows });
    }
  };

  try {
    const parser = new CsvParser();
    // the loop awaits every batch before it reads on: the stream is paused meanwhile
    for await (const chunk of fs.createReadStream(o.file, { encoding: 'utf8', highWaterMark: 64 * 1024 })) {
      bytes += Buffer.byteLength(chunk as string);
      for (const rec of parser.push(chunk as string)) await take(rec);
      o.progress?.({ bytes, totalBytes, rows: summary.rows });
    }
    for (const rec of parser.end()) await take(rec);
    await flush();
    if (!header) throw new Error(`${o.file} is empty: a ${o.kind} feed starts with the header ${[...feed.required, ...feed.optional].join(',')}`);
  } finally {
    rejects.end();
    await once(rejects, 'finish');
    await inst.close();
  }
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}
