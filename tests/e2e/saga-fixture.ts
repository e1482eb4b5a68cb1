import { randomUUID } from 'node:crypto';
import { HOUR } from '@citypoints/kit';
import { consumerQueueName, OutboxRelay } from '@citypoints/events';
import type { SubgraphInstance, SubgraphModule } from '@citypoints/federation';
import type { CivicRuntime } from '@citypoints/civic';
import type { VolunteeringRuntime } from '@citypoints/volunteering';
import { createQueue } from '@citypoints/jobs';
import type { Clock } from '@citypoints/kit';
import { eventually, ok, seed, type GraphQLResponse, type TestCity } from '@citypoints/test-city';

/**
 * What the volunteer-points saga tests share: residents known to civic and volunteering, volunteer
 * points earned through real services, a supermarket shelf, and readings through the gateway.
 */
export function sagaFixture(city: () => TestCity, now: () => Date) {
  const c = () => city();

  async function resident() {
    const r = await seed(c()).resident({});
    await eventually(async () => {
      const v = await c().instances.volunteering.dataSource.query(`SELECT 1 FROM volunteering.residents WHERE id = $1 AND division_code IS NOT NULL`, [r.id]);
      const k = await c().instances.civic.dataSource.query(`SELECT 1 FROM civic.residents WHERE id = $1`, [r.id]);
      return v.length === 1 && k.length === 1;
    });
    const token = await c().token('RESIDENT', { sub: r.id });
    const cardNo = ok(await c().query(`{ myCivicCard { cardNo } }`, {}, token)).myCivicCard.cardNo as string;
    return { ...r, token, cardNo };
  }
  type Person = Awaited<ReturnType<typeof resident>>;

  const act = (p: Person, mutation: string, vars: Record<string, unknown>, args = '') =>
    c().query(`mutation($id: ID!${args}) { ${mutation} { id status } }`, vars, p.token).then(ok);

  /** one confirmed service: the volunteer earns hours × 10 points (a lot of their own) */
  async function earn(v: Person, hours: number) {
    ok(await c().query(`mutation($id: ID!) { registerVolunteer(residentId: $id, skills: ["陪护"]) { registered } }`, { id: v.id }, v.token));
    const requester = await resident();
    const input = {
      category: 'MUTUAL_AID',
      title: '陪同老人就医',
      divisionCode: requester.divisionCode,
      escrowPoints: 0,
      idempotencyKey: randomUUID(),
      windowStart: new Date(now().getTime() + HOUR).toISOString(),
      windowEnd: new Date(now().getTime() + 5 * HOUR).toISOString(),
    };
    const need = ok(await c().query(`mutation($i: PostNeedInput!) { postNeed(input: $i) { id } }`, { i: input }, requester.token)).postNeed;
    await act(v, 'takeNeed(needId: $id, role: PRIMARY)', { id: need.id });
    await act(v, 'startService(needId: $id)', { id: need.id });
    await act(v, 'completeService(needId: $id, hours: $h)', { id: need.id, h: hours }, ', $h: Float!');
    await act(requester, 'confirmService(needId: $id, rating: 5)', { id: need.id });
  }

  const volunteerPoints = async (p: Person) => ok(await c().query(`{ myVolunteerProfile { points } }`, {}, p.token)).myVolunteerProfile.points as number;
  const civicBalance = async (p: Person) => ok(await c().query(`{ myCivicCard { balance } }`, {}, p.token)).myCivicCard.balance as number;

  async function shelf(pointsCost: number, stock: number, pointsKind: 'CIVIC' | 'VOLUNTEER' = 'VOLUNTEER') {
    const merchantId = `supermarket-${randomUUID()}`;
    const token = await c().token('MERCHANT', { sub: merchantId });
    const item = ok(
      await c().query(
        `mutation($n: String!, $p: Int!, $s: Int!, $m: ID!, $k: PointsKind) { defineRewardItem(name: $n, pointsCost: $p, stock: $s, merchantId: $m, pointsKind: $k) { id pointsKind stock } }`,
        { n: '大米 5kg', p: pointsCost, s: stock, m: merchantId, k: pointsKind },
        token,
      ),
    ).defineRewardItem;
    return { merchantId, token, id: item.id as string, pointsKind: item.pointsKind as string };
  }

  const stock = async (merchantId: string, id: string) =>
    (ok(await c().query(`query($m: ID) { rewardItems(merchantId: $m) { id stock } }`, { m: merchantId }, await c().token('RESIDENT', { sub: randomUUID() }))).rewardItems as { id: string; stock: number }[]).find((i) => i.id === id)!.stock;

  const REDEMPTION = 'id cardNo totalPoints balanceAfter pointsKind status failure';
  const redeem = (token: string, cardNo: string, rewardId: string, o: { quantity?: number; key?: string; holderCode?: string } = {}) =>
    c().query(`mutation($i: RedeemInput!) { redeem(input: $i) { ${REDEMPTION} } }`, { i: { cardNo, lines: [{ rewardId, quantity: o.quantity ?? 1 }], idempotencyKey: o.key ?? randomUUID(), holderCode: o.holderCode } }, token);
  const redemption = async (token: string, id: string) => ok(await c().query(`query($id: ID!) { redemption(id: $id) { ${REDEMPTION} } }`, { id }, token)).redemption;
  /** waits (no assertion on time) until the saga of a redemption has settled, and returns it */
  const settled = (token: string, id: string) =>
    eventually(async () => {
      const r = await redemption(token, id);
      return r.status !== 'PENDING' && r;
    }, 60_000);

  /**
   * The redemption a redeem answered about: the one it returned, or the one volunteering refused
   * for want of points (INSUFFICIENT_POINTS names it); anything else fails the test.
   */
  const outcomeId = (r: GraphQLResponse): string => {
    if (!r.errors?.length) return ok(r).redeem.id as string;
    const e = r.errors[0].extensions as { code?: string; details?: { redemptionId?: string } } | undefined;
    if (r.errors.length !== 1 || e?.code !== 'INSUFFICIENT_POINTS' || !e.details?.redemptionId) throw new Error('GraphQL errors: ' + JSON.stringify(r.errors));
    return e.details.redemptionId;
  };

  return { resident, earn, volunteerPoints, civicBalance, shelf, stock, redeem, redemption, settled, outcomeId };
}

/**
 * Worker processes of the saga's subgraphs as separate instances (as `src/worker.ts` runs them in
 * production), so a test can kill and restart them, lose a consumer's queue, or relay by hand.
 */
export function sagaWorkers(city: () => TestCity, clock: Clock) {
  const workers: SubgraphInstance[] = [];
  /** a worker process of a subgraph: its own instance, its own pool, its workers started */
  async function startWorker(m: SubgraphModule): Promise<SubgraphInstance> {
    const c = city();
    const inst = await m.create({ databaseUrl: c.db.url, queue: c.queue, queuePrefix: c.queuePrefix, clock });
    workers.push(inst);
    await inst.startWorkers();
    return inst;
  }
  async function kill(inst: SubgraphInstance): Promise<void> {
    workers.splice(workers.indexOf(inst), 1);
    await inst.close();
  }
  /** the queue of a consumer lost, as when Redis restarts without persistence */
  async function loseQueue(consumer: string): Promise<void> {
    const q = createQueue(consumerQueueName(consumer), city().queue, { prefix: city().queuePrefix });
    await q.obliterate({ force: true });
    await q.close();
  }
  /** what the civic worker's relay sent before it died: exactly one message */
  async function relayCivicOnce(): Promise<number> {
    const relay = new OutboxRelay({ dataSource: city().instances.civic.dataSource, schema: 'civic', connection: city().queue, prefix: city().queuePrefix });
    try {
      return await relay.relayOnce();
    } finally {
      await relay.stop();
    }
  }
  /** stops every worker still running, the newest first */
  async function closeAll(): Promise<void> {
    for (const w of workers.splice(0).reverse()) await w.close();
  }
  return { workers, startWorker, kill, loseQueue, relayCivicOnce, closeAll };
}

/**
 * The saga's state read straight from civic's and volunteering's tables: what the answers through
 * the gateway are checked against.
 */
export function sagaReadings(city: () => TestCity) {
  const civicRt = () => city().instances.civic.runtime as CivicRuntime;
  const volRt = () => city().instances.volunteering.runtime as VolunteeringRuntime;
  /** waits until every message civic has for the redemption is out of its outbox (in volunteering's queue) */
  const requested = (id: string) =>
    eventually(async () => {
      const [o] = await civicRt().ds.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE relayed_at IS NULL)::int AS waiting FROM civic.outbox WHERE aggregate_id = $1`, [id]);
      return o.n > 0 && o.waiting === 0;
    });
  /** waits until volunteering has decided the redemption and its answer is out of its outbox; the outcome */
  const decided = (id: string) =>
    eventually(async () => {
      const rows = await volRt().ds.query(
        `SELECT d.outcome FROM volunteering.supermarket_debits d JOIN volunteering.outbox o ON o.aggregate_id = d.redemption_id::text
          WHERE d.redemption_id = $1 AND o.relayed_at IS NOT NULL`,
        [id],
      );
      return rows.length > 0 && rows[0].outcome;
    });
  /** volunteering's decision on the redemption, if any */
  const decision = async (id: string) =>
    (await volRt().ds.query(`SELECT outcome, cause FROM volunteering.supermarket_debits WHERE redemption_id = $1`, [id]))[0] as { outcome: string; cause: string | null } | undefined;
  /** the ledger transactions that debited the redemption's volunteer points */
  const debits = async (id: string) =>
    (await volRt().ds.query(`SELECT count(*)::int AS n FROM volunteering.ledger_transactions WHERE idempotency_key = $1`, [`supermarket:${id}`]))[0].n as number;
  /** the cancellations civic has published for the redemption */
  const cancellations = async (id: string) =>
    (await civicRt().ds.query(`SELECT count(*)::int AS n FROM civic.outbox WHERE aggregate_id = $1 AND topic = 'civic.volunteer-redemption.cancelled'`, [id]))[0].n as number;
  /** the two ledgers' invariant violations (none expected) */
  const invariants = async () => [
    ...(await volRt().ds.transaction((m) => volRt().ledger.checkInvariants(m))),
    ...(await civicRt().ds.transaction((m) => civicRt().ledger.checkInvariants(m))),
  ];
  return { civicRt, volRt, requested, decided, decision, debits, cancellations, invariants };
}
