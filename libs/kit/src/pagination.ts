import { badInput } from './errors';

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

export function pageSize(first: number | null | undefined): number {
  if (first == null) return DEFAULT_PAGE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) {
    throw badInput(`first must be between 1 and ${MAX_PAGE}`, { field: 'first' });
  }
  return first;
}

/** Opaque cursors: base64url of the JSON of the sort key of the last row. */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T = unknown>(cursor: string | null | undefined): T | null {
  if (!cursor) return null;
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as T;
  } catch {
    throw badInput('after is not a cursor this API issued', { field: 'after' });
  }
}

/** Offset cursors for lists whose order is stable within a request. */
export function offsetFromCursor(after: string | null | undefined): number {
  const c = decodeCursor<{ o: number }>(after);
  if (c == null) return 0;
  if (typeof c.o !== 'number' || c.o < 0 || !Number.isInteger(c.o)) throw badInput('after is not a cursor this API issued');
  return c.o;
}

export function offsetPage<T>(rows: T[], offset: number, size: number, totalCount: number) {
  const nodes = rows.slice(0, size);
  const end = offset + nodes.length;
  return {
    nodes,
    totalCount,
    pageInfo: { hasNextPage: end < totalCount, endCursor: nodes.length ? encodeCursor({ o: end }) : null },
  };
}
