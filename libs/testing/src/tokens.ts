import { randomUUID } from 'node:crypto';
import { mintToken, type Role } from '@citypoints/auth';

export const TEST_JWT_SECRET = 'citypoints-test-secret-0123456789abcdef';
export const TEST_SUBGRAPH_SECRET = 'citypoints-test-subgraph-secret-0123456789';

export interface TokenClaims {
  sub?: string;
  department?: string;
  division?: string;
  purpose?: string;
}

/** A token for a role (or several), signed as the gateway under test expects. */
export function tokenFor(roles: Role | Role[], claims: TokenClaims = {}): Promise<string> {
  return mintToken(TEST_JWT_SECRET, {
    sub: claims.sub ?? `test-${randomUUID()}`,
    roles: Array.isArray(roles) ? roles : [roles],
    department: claims.department,
    division: claims.division,
    purpose: claims.purpose,
  });
}
