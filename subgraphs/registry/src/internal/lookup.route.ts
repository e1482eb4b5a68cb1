import type { IncomingMessage, ServerResponse } from 'node:http';
import { SERVICE_HEADER, verifyServiceCall } from '@citypoints/auth';
import { OWNER_LOOKUP_PATH, streamOf, REGISTRY_TOPICS, type LookupRequest, type LookupResponse, type OwnedState } from '@citypoints/events';
import { residentState } from '../events/registry.facts';
import { SCHEMA, type RegistryRuntime } from '../runtime';
import { isUuid, parseIdNumber } from '@citypoints/kit';

const MAX_KEYS = 500;

/** ID numbers as registry stores them (normalised); malformed ones are left out, as unknown. */
const idNumbersOf = (v: unknown): string[] => {
  const out = new Set<string>();
  for (const raw of keysOf(v)) {
    try {
      out.add(parseIdNumber(raw).idNumber);
    } catch {
      // not an ID number: no resident has it
    }
  }
  return [...out];
};

const keysOf = (v: unknown): string[] => (Array.isArray(v) ? [...new Set(v.filter((k): k is string => typeof k === 'string' && k.length > 0 && k.length <= 64))] : []);

/**
 * What registry holds now of the residents, enterprises and organisations another subgraph asks
 * about, each with the version its stream is at (read with the row, in one snapshot). For other
 * subgraphs only: served beside /graphql, never through the gateway, and only to a call signed
 * with a service identity. The states are the payloads registry publishes, built by the same code.
 * Asked by ID number (`residentIdNumbers`), it answers only the resident id of each it knows: the
 * caller holds the ID number already and learns no other fact of the resident.
 */
export async function lookup(rt: Pick<RegistryRuntime, 'ds'>, request: LookupRequest): Promise<LookupResponse> {
  const residents = keysOf(request.residents).filter((k) => isUuid(k));
  const enterprises = keysOf(request.enterprises);
  const organisations = keysOf(request.organisations);
  const idNumbers = idNumbersOf(request.residentIdNumbers);
  if (residents.length + enterprises.length + organisations.length + idNumbers.length > MAX_KEYS) throw new Error(`at most ${MAX_KEYS} keys per lookup`);
  const [r, e, o, byIdNumber] = await Promise.all([
    residents.length
      ? rt.ds.query(
          `SELECT r.id, r.name, to_char(r.birth_date, 'YYYY-MM-DD') AS birth_date, r.hukou, r.division_code, r.household_id, COALESCE(s.version, 0) AS version
           FROM "${SCHEMA}".residents r LEFT JOIN "${SCHEMA}".outbox_sequence s ON s.stream = $2 AND s.aggregate_id = r.id::text
           WHERE r.id = ANY($1::uuid[])`,
          [residents, streamOf(REGISTRY_TOPICS.residentChanged.topic)],
        )
      : [],
    enterprises.length
      ? rt.ds.query(
          `SELECT e.uscc, e.name, e.division_code, e.industry, e.employees, COALESCE(s.version, 0) AS version
           FROM "${SCHEMA}".enterprises e LEFT JOIN "${SCHEMA}".outbox_sequence s ON s.stream = $2 AND s.aggregate_id = e.uscc
           WHERE e.uscc = ANY($1)`,
          [enterprises, streamOf(REGISTRY_TOPICS.enterpriseRegistered.topic)],
        )
      : [],
    organisations.length
      ? rt.ds.query(
          `SELECT o.uscc, o.name, o.kind, o.division_code, COALESCE(s.version, 0) AS version
           FROM "${SCHEMA}".social_organisations o LEFT JOIN "${SCHEMA}".outbox_sequence s ON s.stream = $2 AND s.aggregate_id = o.uscc
           WHERE o.uscc = ANY($1)`,
          [organisations, streamOf(REGISTRY_TOPICS.organisationRegistered.topic)],
        )
      : [],
    idNumbers.length ? rt.ds.query(`SELECT id, id_number FROM "${SCHEMA}".residents WHERE id_number = ANY($1::text[])`, [idNumbers]) : [],
  ]);
  type Row = Record<string, string | number | null> & { version: string };
  return {
    residents: (r as Row[]).map((x): OwnedState => ({
      key: String(x.id),
      version: Number(x.version),
      state: residentState({
        id: String(x.id),
        name: String(x.name),
        birthDate: String(x.birth_date),
        hukou: x.hukou as 'LOCAL' | 'MIGRANT',
        divisionCode: String(x.division_code),
        householdId: (x.household_id as string | null) ?? null,
      }),
    })),
    enterprises: (e as Row[]).map((x): OwnedState => ({
      key: String(x.uscc),
      version: Number(x.version),
      state: { uscc: x.uscc, name: x.name, divisionCode: x.division_code, industry: x.industry ?? null, employees: x.employees ?? null },
    })),
    organisations: (o as Row[]).map((x): OwnedState => ({
      key: String(x.uscc),
      version: Number(x.version),
      state: { uscc: x.uscc, name: x.name, kind: x.kind, divisionCode: x.division_code },
    })),
    ...(request.residentIdNumbers !== undefined && {
      residentIdsByIdNumber: (byIdNumber as { id: string; id_number: string }[]).map((x) => ({ idNumber: x.id_number, residentId: x.id })),
    }),
  };
}

/** `POST /internal/lookup` on registry's server; false for any other path, so the server goes on. */
export function internalRoutes(rt: Pick<RegistryRuntime, 'ds' | 'log'>, secret: string | undefined) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if ((req.url ?? '').split('?')[0] !== OWNER_LOOKUP_PATH) return false;
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method !== 'POST') return send(405, { error: 'POST only' }), true;
    if (!secret) return send(404, { error: 'not found' }), true;
    let service: string;
    try {
      service = await verifyServiceCall(secret, req.headers[SERVICE_HEADER] as string | undefined);
    } catch {
      return send(401, { error: 'a signed service identity is required' }), true;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > 256 * 1024) return send(413, { error: 'request body too large' }), true;
      chunks.push(chunk as Buffer);
    }
    let request: LookupRequest;
    try {
      request = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as LookupRequest;
    } catch {
      return send(400, { error: 'body is not JSON' }), true;
    }
    try {
      send(200, await lookup(rt, request));
    } catch (e) {
      rt.log(`internal lookup for ${service} failed: ${(e as Error).message}`);
      send(400, { error: (e as Error).message });
    }
    return true;
  };
}
