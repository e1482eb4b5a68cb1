export interface GraphQLResponse<T = Record<string, any>> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; [k: string]: unknown } }[];
  status: number;
}

/** POSTs a GraphQL operation the way a client does. */
export async function gql<T = Record<string, any>>(url: string, query: string, variables?: Record<string, unknown>, token?: string, headers: Record<string, string> = {}): Promise<GraphQLResponse<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  let body: { data?: T; errors?: GraphQLResponse['errors'] };
  try {
    body = JSON.parse(text);
  } catch {
    body = { errors: [{ message: text }] };
  }
  return { ...body, status: res.status };
}

/** The data of a response that must have succeeded; otherwise throws with the errors. */
export function ok<T>(r: GraphQLResponse<T>): T {
  if (r.errors?.length || !r.data) throw new Error('GraphQL errors: ' + JSON.stringify(r.errors ?? r));
  return r.data;
}

/** The codes of a response's errors. */
export const codes = (r: GraphQLResponse) => (r.errors ?? []).map((e) => e.extensions?.code);
