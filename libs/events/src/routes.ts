/**
 * Who hears what. A topic `<subgraph>.<entity>.<verb>` goes to every consumer listed under a
 * prefix it starts with. Adding a consumer here is the whole subscription: the relay then
 * puts the topic's events on `events.<consumer>`.
 */
export interface Route {
  prefix: string;
  consumers: readonly string[];
}

export const ROUTES: readonly Route[] = [
  { prefix: 'registry.resident.', consumers: ['settlement', 'civic', 'volunteering'] },
  { prefix: 'registry.household.', consumers: ['settlement', 'civic', 'volunteering'] },
  { prefix: 'registry.enterprise.', consumers: ['enterprise-credit', 'social-organisations'] },
  { prefix: 'registry.membership.', consumers: ['enterprise-credit', 'social-organisations'] },
  { prefix: 'registry.organisation.', consumers: ['social-organisations'] },
  { prefix: 'enterprise-credit.', consumers: ['social-organisations'] },
  // volunteer points at the points supermarket: civic asks, volunteering decides (one saga)
  { prefix: 'civic.volunteer-redemption.', consumers: ['volunteering'] },
  { prefix: 'volunteering.supermarket-debit.', consumers: ['civic'] },
];

/** The consumers of a topic, each once, in route order. */
export function consumersFor(topic: string, routes: readonly Route[] = ROUTES): string[] {
  const out: string[] = [];
  for (const r of routes) {
    if (!topic.startsWith(r.prefix)) continue;
    for (const c of r.consumers) if (!out.includes(c)) out.push(c);
  }
  return out;
}

export function consumerQueueName(consumer: string): string {
  return `events.${consumer}`;
}
