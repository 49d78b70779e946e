import { availableParallelism } from 'node:os';

/**
 * Cores − 1 for the host, shared among the workers of `start --workers N` (which tells each
 * worker N): at least one per process, so N workers on few cores still hash N at once.
 */
export function defaultHashConcurrency(workers = Number(process.env.PORTVAKT_CLUSTER_WORKERS ?? 1)): number {
  return Math.max(1, Math.floor((availableParallelism() - 1) / Math.max(1, workers)));
}
