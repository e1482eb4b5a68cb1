import type { IncomingMessage, ServerResponse } from 'node:http';
import { SERVICE_HEADER, signServiceCall, verifyServiceCall } from '@citypoints/auth';
import { isUuid } from '@citypoints/kit';

/**
 * A resident's own data (the right of access, docs/my-data.md): the subgraph that answers
 * `Query.myData` asks every other subgraph, over a signed internal call, for what it holds about
 * the calling resident and who read it. Each subgraph writes only its "what do I hold about
 * resident X" function; the route, the call, the verification and the audit query live here.
 */
export const MY_DATA_PATH = '/internal/my-data';

/** The subgraphs the owner asks, in the order their parts appear in the document. */
export const MY_DATA_SUBGRAPHS = Object.freeze(['settlement', 'civic', 'volunteering', 'enterprise-credit', 'social-organisations'] as const);

/** The services that may ask a subgraph for a resident's data: only the one serving `Query.myData`. */
export const MY_DATA_CALLERS = Object.freeze(['registry'] as const);

/** One audited read of the resident's data, as the resident sees it: which department, when, for what. */
export interface AuditedRead {
  subgraph: string;
  at: string;
  department: string | null;
  roles: string[];
  purpose: string | null;
  operation: string;
  subjectType: string;
  fields: string[];
}

/** The audit rows a subgraph keeps about the resident: those whose subject is the resident, and those whose subject is one of theirs (a card, an application). */
export interface AuditSubjects {
  [subjectType: string]: string[];
}

/** What a subgraph holds about one resident: its part of the document, and the subjects of the audit rows that concern them. */
export interface HeldData {
  data: Record<string, unknown>;
  /** subjects other than the resident id itself (card numbers, application numbers, record ids) */
  auditSubjects?: AuditSubjects;
}

export interface MyDataPart {
  subgraph: string;
  data: Record<string, unknown>;
  reads: AuditedRead[];
}

interface Queryable {
  query(sql: string, params?: unknown[]): Promise<any[]>;
}

/**
 * Every row of a subgraph's audit trail whose subject is the resident (by id) or one of the
 * subjects given; the acting official's own identity stays out, their department and role are in.
 */
export async function auditedReadsOf(db: Queryable, schema: string, subgraph: string, residentId: string, subjects: AuditSubjects = {}): Promise<AuditedRead[]> {
  const types: string[] = [];
  const ids: string[] = [];
  for (const [type, list] of Object.entries(subjects)) for (const id of list) (types.push(type), ids.push(id));
  const rows: { at: Date; department: string | null; roles: string[]; purpose: string | null; action: string; subject_type: string; fields: string[] }[] = await db.query(
    `SELECT at, department, roles, purpose, action, subject_type, fields FROM "${schema}".audit_log
     WHERE subject_id = $1
        OR (subject_type, subject_id) IN (SELECT * FROM unnest($2::text[], $3::text[]))
     ORDER BY at, id`,
    [residentId, types, ids],
  );
  return rows.map((r) => ({
    subgraph,
    at: new Date(r.at).toISOString(),
    department: r.department,
    roles: r.roles,
    purpose: r.purpose,
    operation: r.action,
    subjectType: r.subject_type,
    fields: r.fields,
  }));
}

export interface MyDataRouteOptions {
  subgraph: string;
  /** the secret service calls are signed with; without it the route answers 404 */
  secret: string | undefined;
  /** the subgraph's PostgreSQL schema, for its audit trail; null where it keeps none */
  schema: string | null;
  db: Queryable;
  held(residentId: string): Promise<HeldData>;
  log?: (message: string) => void;
}

/** Answers the part of one subgraph (the held data and the audited reads) for a resident id. */
export async function myDataPart(o: Pick<MyDataRouteOptions, 'subgraph' | 'schema' | 'db' | 'held'>, residentId: string): Promise<MyDataPart> {
  const held = await o.held(residentId);
  const reads = o.schema === null ? [] : await auditedReadsOf(o.db, o.schema, o.subgraph, residentId, held.auditSubjects);
  return { subgraph: o.subgraph, data: held.data, reads };
}

/**
 * `POST /internal/my-data` with `{ residentId }`: that subgraph's part, only to a call signed as
 * the service serving `Query.myData`. False for any other path, so the server goes on.
 */
export function myDataRoute(o: MyDataRouteOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if ((req.url ?? '').split('?')[0] !== MY_DATA_PATH) return false;
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method !== 'POST') return send(405, { error: 'POST only' }), true;
    if (!o.secret) return send(404, { error: 'not found' }), true;
    let service: string;
    try {
      service = await verifyServiceCall(o.secret, req.headers[SERVICE_HEADER] as string | undefined);
    } catch {
      return send(401, { error: 'a signed service identity is required' }), true;
    }
    if (!(MY_DATA_CALLERS as readonly string[]).includes(service)) return send(403, { error: 'this service may not ask for a resident\'s data' }), true;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > 4 * 1024) return send(413, { error: 'request body too large' }), true;
      chunks.push(chunk as Buffer);
    }
    let residentId: unknown;
    try {
      residentId = (JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { residentId?: unknown }).residentId;
    } catch {
      return send(400, { error: 'body is not JSON' }), true;
    }
    if (!isUuid(residentId)) return send(400, { error: 'residentId must be a resident id' }), true;
    try {
      send(200, await myDataPart(o, residentId));
    } catch (e) {
      // the message may quote a value; the log names only the subgraph and the failure
      o.log?.(`my-data part of ${o.subgraph} failed: ${(e as Error).name}`);
      send(500, { error: 'internal error' });
    }
    return true;
  };
}

export interface CollectOptions {
  /** the calling service, signed into each call */
  service: string;
  urlOf(subgraph: string): string | undefined;
  secret: string;
  subgraphs?: readonly string[];
  timeoutMs?: number;
}

export interface CollectedData {
  parts: MyDataPart[];
  /** subgraphs that did not answer in time, answered an error, or have no address here */
  unavailable: string[];
}

/** Asks every subgraph at once for its part; one that does not answer is named, not fatal. */
export async function collectMyData(o: CollectOptions, residentId: string): Promise<CollectedData> {
  const names = o.subgraphs ?? MY_DATA_SUBGRAPHS;
  const signed = await signServiceCall(o.secret, o.service);
  const answers = await Promise.all(
    names.map(async (name): Promise<MyDataPart | null> => {
      const base = o.urlOf(name);
      if (!base) return null;
      try {
        const res = await fetch(new URL(MY_DATA_PATH, base), {
          method: 'POST',
          headers: { 'content-type': 'application/json', [SERVICE_HEADER]: signed },
          body: JSON.stringify({ residentId }),
          signal: AbortSignal.timeout(o.timeoutMs ?? 5000),
        });
        if (!res.ok) return null;
        const part = (await res.json()) as MyDataPart;
        return part && part.subgraph === name && typeof part.data === 'object' && Array.isArray(part.reads) ? part : null;
      } catch {
        return null;
      }
    }),
  );
  return { parts: answers.filter((p): p is MyDataPart => p !== null), unavailable: names.filter((_, i) => answers[i] === null) };
}

/** The property of the document a subgraph's part goes under (`enterprise-credit` → `enterpriseCredit`). */
export const partKey = (subgraph: string): string => subgraph.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** A value naming another resident, as the caller's document shows it. */
export const ANOTHER_RESIDENT = 'another resident';

/** Rows as a resident's document shows them: camelCase keys, times as ISO strings, the columns named in `omit` left out. */
export function asDocumentRows(rows: Record<string, unknown>[], omit: readonly string[] = []): Record<string, unknown>[] {
  return rows.map((r) =>
    Object.fromEntries(
      Object.entries(r)
        .filter(([k]) => !omit.includes(k))
        .map(([k, v]) => [k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), v instanceof Date ? v.toISOString() : v]),
    ),
  );
}
