import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const started = (globalThis as Record<string, unknown>).__citypointsPg as
    | { pg: { stop(): Promise<void> }; dir: string }
    | undefined;
  if (started) {
    await started.pg.stop();
    fs.rmSync(started.dir, { recursive: true, force: true });
  }
}
