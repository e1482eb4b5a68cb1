import { GraphQLError } from 'graphql';

/** The generic codes a client may see in `extensions.code` (the public contract); domains add their own. */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INVALID_STATE: 'INVALID_STATE',
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

const PG_UNIQUE_VIOLATION = '23505';
const PG_CHECK_VIOLATION = '23514';
/** SQLSTATE class 22: data exceptions (invalid text, NUL bytes, out-of-range numbers and dates) */
const PG_DATA_EXCEPTION_CLASS = '22';

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
    if (err.nodes || err.source) {
      return new GraphQLError(err.message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    }
  }
  return new GraphQLError('internal error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
}
