import cluster, { type Worker } from 'node:cluster';

export interface ClusterLog {
  info(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** A worker that dies within this long of its start is not restarted at once (a crash loop). */
const CRASH_LOOP_MS = 5000;

/**
 * `portvakt start --workers N`: the primary process forks N workers that each run the whole
 * server on the same port (node:cluster hands connections out round-robin), so one host uses
 * every core without an external balancer. The primary serves nothing itself. A worker that dies
 * is replaced; SIGTERM or SIGINT is passed on to every worker, each drains as a single process
 * would, and the primary exits when they all have.
 */
export function runCluster(workers: number, log: ClusterLog): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    // Counted here: cluster.workers may still list a worker whose exit arrived before its disconnect.
    const live = new Map<number, { worker: Worker; startedAt: number }>();
    const pendingForks = new Set<NodeJS.Timeout>();
    const fork = () => {
      const worker = cluster.fork({ PORTVAKT_CLUSTER_WORKERS: String(workers) });
      live.set(worker.id, { worker, startedAt: Date.now() });
    };
    cluster.on('exit', (worker: Worker, code, exitSignal) => {
      const lived = Date.now() - (live.get(worker.id)?.startedAt ?? 0);
      live.delete(worker.id);
      if (stopping) {
        if (live.size === 0) resolve(0);
        return;
      }
      log.error({ worker: worker.process.pid, code, signal: exitSignal, lived_ms: lived }, 'worker exited; starting another');
      const timer = setTimeout(() => {
        pendingForks.delete(timer);
        if (!stopping) fork();
      }, lived < CRASH_LOOP_MS ? CRASH_LOOP_MS : 0);
      pendingForks.add(timer);
    });
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      for (const timer of pendingForks) clearTimeout(timer);
      log.info({ signal, workers: live.size }, 'stopping workers');
      for (const { worker } of live.values()) worker.process.kill(signal);
      if (live.size === 0) resolve(0);
    };
    cluster.on('listening', (worker: Worker) => log.info({ worker: worker.process.pid }, 'worker listening'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    for (let i = 0; i < workers; i++) fork();
    log.info({ workers }, 'cluster started');
  });
}

export const isClusterWorker = (): boolean => cluster.isWorker;
