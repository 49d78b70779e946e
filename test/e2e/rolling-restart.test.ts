import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rollingRestart, startCluster, type Cluster } from '../../bench/cluster.ts';

/**
 * The README's deployment: HAProxy (health checks on /readyz) in front of two Portvakt nodes on
 * PostgreSQL + Redis. Under a steady load each node in turn gets SIGTERM and starts again; the
 * drain (cli.ts) and HAProxy's checks between them must lose no request.
 */
describe('rolling restart behind HAProxy', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster(2);
  }, 120_000);
  afterAll(() => cluster?.stop());

  it('answers every request 2xx while each node is stopped with SIGTERM and started again', async () => {
    const report = await rollingRestart(cluster, 2, 4);
    expect(report.restarts).toHaveLength(2);
    expect(report.restarts.every((restart) => restart.stoppedMs >= 2000)).toBe(true); // each node drained first
    expect(report.requests).toBeGreaterThan(1000);
    expect(report).toMatchObject({ non_2xx: 0, errors: 0, timeouts: 0 });
    expect(Object.keys(report.statuses)).toEqual(['200']);
  }, 120_000);
});
