import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { env } from '@citypoints/config';
import { resolveQueueConnection } from '@citypoints/jobs';
import { FEED_KINDS, type FeedKind } from './feeds';
import { runImport } from './import';

const USAGE = `usage: npm run import -- <${FEED_KINDS.join('|')}> <file.csv> [--department <name>] [--rejects <file>] [--batch <rows>]

  residents    idNumber,name,hukou,divisionCode[,householdId]
  enterprises  uscc,name,divisionCode[,industry,employees]
  labour       uscc,period,wageArrearsDays,workersOwed,arrearsAmount,payCycleDays,rentArrearsMonths,
               electricityRatio,socialInsuranceArrearsMonths,taxArrearsMonths,petitions,groupIncident,source
               (submitted by --department)
  credit       uscc,kind,occurredOn[,publicMonths,note,area,idempotencyKey]   (submitted by --department)

Rows go through the API's validation in batches; bad rows are written with their line and reason
to <file>.rejects.csv. A re-run imports nothing twice. Exit code 0 when every row was taken,
2 when some were rejected, 1 on failure. DATABASE_URL defaults to the database of npm start.`;

/** `npm run import -- <feed> <file.csv>`: a bulk feed, with a progress bar and a summary. */
async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { department: { type: 'string' }, rejects: { type: 'string' }, batch: { type: 'string' }, help: { type: 'boolean' } },
  });
  const [kind, file] = positionals;
  if (values.help || !kind || !file || !(FEED_KINDS as readonly string[]).includes(kind)) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 64);
  }
  const e = env();
  const databaseUrl = e.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${e.EMBEDDED_PG_PORT}/citypoints`;
  const log = (m: string) => process.stderr.write(`[import] ${m}\n`);
  const queue = await resolveQueueConnection({ redisUrl: e.REDIS_URL, databaseUrl, backend: e.QUEUE_BACKEND, log });
  const tty = process.stderr.isTTY;
  let lastDraw = 0;
  let lastTenth = -1;
  const started = Date.now();
  const summary = await runImport({
    kind: kind as FeedKind,
    file,
    rejectsFile: values.rejects,
    department: values.department,
    batchSize: values.batch ? Number(values.batch) : undefined,
    databaseUrl,
    queue,
    queuePrefix: e.QUEUE_PREFIX,
    log,
    progress: ({ bytes, totalBytes, rows }) => {
      const share = totalBytes ? bytes / totalBytes : 1;
      const rate = rows / Math.max(0.001, (Date.now() - started) / 1000);
      if (tty) {
        if (Date.now() - lastDraw < 200 && share < 1) return;
        lastDraw = Date.now();
        const width = 30;
        const full = Math.round(share * width);
        process.stderr.write(`\r[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(share * 100).toFixed(1).padStart(5)}%  ${rows} rows  ${rate.toFixed(0)} rows/s `);
      } else if (Math.floor(share * 10) > lastTenth) {
        lastTenth = Math.floor(share * 10);
        log(`${(share * 100).toFixed(0)}%  ${rows} rows  ${rate.toFixed(0)} rows/s`);
      }
    },
  });
  if (tty) process.stderr.write('\n');
  console.log(
    `${summary.kind}: ${summary.rows} rows in ${summary.seconds.toFixed(1)} s — ${summary.accepted} accepted, ${summary.alreadyPresent} already present, ${summary.rejected} rejected` +
      (summary.rejected ? ` (see ${summary.rejectsFile})` : ''),
  );
  process.exit(summary.rejected ? 2 : 0);
}

main().catch((err) => {
  console.error('[import] failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
