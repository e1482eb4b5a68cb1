import { createTestDatabase, openSubgraphDataSource, type TestDatabase } from '@citypoints/db';
import type { DataSource } from 'typeorm';
import { Init1764200000000 } from '../../subgraphs/settlement/src/migrations/1764200000000-Init';
import { Publicity1764200000001 } from '../../subgraphs/settlement/src/migrations/1764200000001-Publicity';
import { Calendar1764200000002, Procedure1764200000003 } from '../../subgraphs/settlement/src/migrations/1764200000003-Procedure';
import { SchoolEligibility1764200000004 } from '../../subgraphs/settlement/src/migrations/1764200000004-SchoolEligibility';
import { VerifiableRankings1764200000005 } from '../../subgraphs/settlement/src/migrations/1764200000005-VerifiableRankings';
import { CallerScopedKeys1764200000006 } from '../../subgraphs/settlement/src/migrations/1764200000006-CallerScopedKeys';
import { LookupAttempts1764200000090 } from '../../subgraphs/settlement/src/lookup/lookup.migration';
import { SchemeSimulations1764200000095 } from '../../subgraphs/settlement/src/simulation/simulation.migration';
import { EventVersions1764900000000 } from '../../subgraphs/settlement/src/migrations/1764900000000-EventVersions';
import { VerifiedLines1765000000000 } from '../../subgraphs/settlement/src/migrations/1765000000000-VerifiedLines';
import { EventTraceContext1765000000000 } from '../../subgraphs/settlement/src/migrations/1765000000000-EventTraceContext';
import { ChildResident1765100000000 } from '../../subgraphs/settlement/src/migrations/1765100000000-ChildResident';

/** A fresh database with settlement's schema migrated as the subgraph ships it (the seeded rows included). */
export async function migratedSettlement(label: string): Promise<{ db: TestDatabase; ds: DataSource }> {
  const db = await createTestDatabase(label);
  const ds = await openSubgraphDataSource({
    url: db.url,
    schema: 'settlement',
    entities: [],
    migrations: [
      Init1764200000000,
      Publicity1764200000001,
      Calendar1764200000002,
      Procedure1764200000003,
      SchoolEligibility1764200000004,
      VerifiableRankings1764200000005,
      CallerScopedKeys1764200000006,
      LookupAttempts1764200000090,
      SchemeSimulations1764200000095,
      EventVersions1764900000000,
      VerifiedLines1765000000000,
      EventTraceContext1765000000000,
      ChildResident1765100000000,
    ],
  });
  await ds.runMigrations();
  return { db, ds };
}
