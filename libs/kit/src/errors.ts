import { GraphQLError } from 'graphql';

/** The generic codes a client may see in `extensions.code` (the public contract); domains add their own. */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INVALID_STATE: 'INVALID_STATE',
  /** the database (or another service the request needs) cannot be reached right now; nothing was changed unless a retry with the same idempotency key says so */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * A code a domain defines next to its rules (OUT_OF_STOCK in civic, APPLICANT_BARRED in settlement,
 * INSUFFICIENT_POINTS in the ledger), listed in the contract like the generic ones.
 */
export type DomainCode = Uppercase<string>;

/** A domain error: a code from the contract, a message for people, optional details. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode | DomainCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const badInput = (message: string, details?: Record<string, unknown>) =>
  new DomainError(ErrorCode.BAD_USER_INPUT, message, details);
export const notFound = (what: string, id: string) =>
  new DomainError(ErrorCode.NOT_FOUND, `${what} ${id} not found`, { what, id });
export const conflict = (message: string, details?: Record<string, unknown>) =>
  new DomainError(ErrorCode.CONFLICT, message, details);
export const forbidden = (message = 'not allowed for this caller') => new DomainError(ErrorCode.FORBIDDEN, message);
export const unauthenticated = (message = 'a valid bearer token is required') =>
  new DomainError(ErrorCode.UNAUTHENTICATED, message);
export const invalidState = (message: string, details?: Record<string, unknown>) =>
  new DomainError(ErrorCode.INVALID_STATE, message, details);

/** the database went away or cannot be reached: the request may be retried (with its idempotency key) */
export const unavailable = () => new DomainError(ErrorCode.SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE);
const UNAVAILABLE_MESSAGE = 'the service is unavailable for a moment; retry (with the same idempotency key)';

const PG_UNIQUE_VIOLATION = '23505';
const PG_CHECK_VIOLATION = '23514';
/** SQLSTATE class 22: data exceptions (invalid text, NUL bytes, out-of-range numbers and dates) */
const PG_DATA_EXCEPTION_CLASS = '22';

/** SQLSTATE class 08: connection exceptions */
const PG_CONNECTION_EXCEPTION_CLASS = '08';
/** the server is shutting down, crashed, or is starting up; too many connections; a standby cannot write yet */
const PG_UNAVAILABLE: readonly string[] = Object.freeze(['57P01', '57P02', '57P03', '53300', '25006']);
/** what node reports when the database's socket is refused, reset or timed out */
const NET_UNAVAILABLE: readonly string[] = Object.freeze(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** node-postgres's messages for a connection that went away or could not be had (they carry no code) */
const PG_CLIENT_GONE: readonly RegExp[] = Object.freeze([/^Connection terminated/, /^timeout exceeded when trying to connect/, /^Client has encountered a connection error and is not queryable/, /^Client was closed and is not queryable/, /^Cannot use a pool after calling end on the pool/]);

/**
 * True when an error says the database could not be reached or went away mid-request (a restart,
 * a failover, a network cut), rather than anything about the request: retrying later can succeed.
 */
export function isUnavailableError(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code && (code.startsWith(PG_CONNECTION_EXCEPTION_CLASS) && code.length === 5 || PG_UNAVAILABLE.includes(code) || NET_UNAVAILABLE.includes(code))) return true;
    if (typeof e.message === 'string' && PG_CLIENT_GONE.some((re) => re.test(e!.message as string))) return true;
    // TypeORM releases a transaction's runner when its connection errors; the transaction's next statement then finds it released
    if (typeof (e as { name?: unknown }).name === 'string' && /^QueryRunner(Provider)?AlreadyReleasedError$/.test((e as { name: string }).name)) return true;
    e = (e.driverError ?? e.cause) as typeof e;
  }
  return false;
}

/**
 * The one mapping from thrown errors to GraphQL errors. Domain errors keep their code; argument
 * validation failures become BAD_USER_INPUT; a unique violation that escaped a service becomes
 * CONFLICT; anything else is an internal error whose message is not shown to the client.
 */
export function toGraphQLError(err: unknown): GraphQLError {
  const original = err instanceof GraphQLError && err.originalError ? err.originalError : err;
  if (original instanceof DomainError) {
    return new GraphQLError(original.message, {
      extensions: { code: original.code, ...(original.details ? { details: original.details } : {}) },
    });
  }
  const anyErr = original as { name?: string; code?: string; message?: string; extensions?: Record<string, unknown> };
  if (anyErr?.name === 'ArgumentValidationError' || anyErr?.name === 'ValidationError') {
    return new GraphQLError(anyErr.message ?? 'invalid input', { extensions: { code: ErrorCode.BAD_USER_INPUT } });
  }
  if (isUnavailableError(original)) {
    return new GraphQLError(UNAVAILABLE_MESSAGE, { extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } });
  }
  if (anyErr?.code === PG_UNIQUE_VIOLATION) {
    return new GraphQLError('already exists', { extensions: { code: ErrorCode.CONFLICT } });
  }
  // the database is the last validator: a value it cannot store (a NUL character, a number out of
  // range, a check constraint) was the caller's input; the transaction rolled back, and the message
  // names no table or constraint
  if (typeof anyErr?.code === 'string' && (anyErr.code.startsWith(PG_DATA_EXCEPTION_CLASS) || anyErr.code === PG_CHECK_VIOLATION)) {
    return new GraphQLError('a value of the input cannot be stored as given', { extensions: { code: ErrorCode.BAD_USER_INPUT } });
  }
  if (err instanceof GraphQLError) {
    const code = err.extensions?.code;
    if (typeof code === 'string') return err;
    // a resolver's error arrives located (with nodes) around its original: that is no validation failure
    if (!err.originalError && (err.nodes || err.source)) {
      return new GraphQLError(err.message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    }
  }
  return new GraphQLError('internal error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
}
