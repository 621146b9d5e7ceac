/**
 * Prometheus metrics of one process (SPEC section 4: `/metrics`). One registry per process
 * (not prom-client's global) so several apps can live in one test process.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The metrics Pilote records. */
export interface Metrics {
  registry: Registry;
  /** Commands handled, by command name and outcome (ok, usage, user_error, forbidden, not_linked, unknown, error). */
  commands: Counter<'command' | 'outcome'>;
  /** Seconds from outbox row creation to platform acknowledgement. */
  deliveryLatency: Histogram<'platform'>;
  /** Deliveries by platform and result (sent, retry, failed). */
  deliveries: Counter<'platform' | 'result'>;
  /**
   * Inbound batches of more than one event: committed together, or replayed one by one after a
   * failure, with its reason (user_error, duplicate, transient, error).
   */
  inboundBatches: Counter<'outcome' | 'reason'>;
  /** Jobs per queue and state, refreshed at each scrape. */
  queueDepth: Gauge<'queue' | 'state'>;
}

/** Creates the metrics; `queueCounts` is asked at each scrape for the queue depths. */
export function createMetrics(queueCounts?: () => Promise<Record<string, Record<string, number>>>): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pilote_' });
  const queueDepth = new Gauge({
    name: 'pilote_queue_jobs',
    help: 'Jobs in each BullMQ queue by state, and events waiting in the ingress (queue="ingress")',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      if (!queueCounts) return;
      const counts = await queueCounts().catch(() => ({}) as Record<string, Record<string, number>>);
      for (const [queue, states] of Object.entries(counts)) {
        for (const [state, n] of Object.entries(states)) this.set({ queue, state }, n);
      }
    },
  });
  return {
    registry,
    queueDepth,
    commands: new Counter({
      name: 'pilote_commands_total',
      help: 'Commands handled by name and outcome',
      labelNames: ['command', 'outcome'] as const,
      registers: [registry],
    }),
    deliveryLatency: new Histogram({
      name: 'pilote_delivery_latency_seconds',
      help: 'Time from outbox row to platform acknowledgement',
      labelNames: ['platform'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    inboundBatches: new Counter({
      name: 'pilote_inbound_batches_total',
      help: 'Inbound batches of several events, by outcome (committed, replayed) and reason of a replay',
      labelNames: ['outcome', 'reason'] as const,
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'pilote_deliveries_total',
      help: 'Delivery attempts by platform and result',
      labelNames: ['platform', 'result'] as const,
      registers: [registry],
    }),
  };
}
