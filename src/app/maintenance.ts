import { deleteExpiredArtifacts } from '../oidc/artifact-adapter.ts';
import { TTL } from '../oidc/provider.ts';
import { SIGNING_KEYS_TOPIC } from '../oidc/signing-keys.ts';
import type { Services } from './services.ts';

/** Delivered and dead outbox rows are kept this long for inspection, then deleted. */
const OUTBOX_RETENTION_MS = 7 * 24 * 3600_000;

/** The workers that deliver mail and SMS, webhooks and privacy tasks, and run uploaded imports; answers how to stop them. */
export function startWorkers({ messaging, webhookWorker, privacy, imports }: Services): () => Promise<void> {
  messaging.worker.start();
  webhookWorker.start();
  privacy.worker.start();
  imports.startWorker();
  return async () => {
    await Promise.all([messaging.close(), webhookWorker.stop(), privacy.worker.stop(), imports.stop()]);
  };
}

/** Timers: signing keys re-read (at once on a rotation notice through Redis), expired rows deleted, kept counts folded. Answers how to stop them. */
export function scheduleMaintenance(services: Services): () => void {
  const { config, log, host, store } = services;
  const refreshKeys = () =>
    host.refreshKeys().then(
      (swapped) => swapped && log.info('signing keys changed; provider reloaded'),
      (error: unknown) => log.error({ err: error }, 'signing key refresh failed'),
    );
  // A rotation (`portvakt keys rotate`, the API) is announced through Redis; the timer bounds the wait without it.
  services.changes.subscribe(SIGNING_KEYS_TOPIC, () => void refreshKeys());
  const cleanup = () =>
    Promise.all([
      deleteExpiredArtifacts(store.db),
      services.throttle.deleteStale(),
      services.codes.deleteExpired(),
      services.flows.deleteExpired(),
      services.messaging.outbox.deleteFinished(Date.now() - OUTBOX_RETENTION_MS),
      services.sessions.deleteStale(Date.now() - TTL.Session * 1000),
      services.privacy.exports.clearExpired(),
      services.guests.deleteExpired(),
      services.privacy.counts.fold(),
      services.personalization.maintain(),
      services.inStore.codes.deleteExpired(),
      services.inStore.till.deleteStale(),
    ]).catch((error: unknown) => log.error({ err: error }, 'cleanup of expired rows failed'));
  const timers = [setInterval(() => void refreshKeys(), config.keyRefreshMs), setInterval(() => void cleanup(), config.cleanupIntervalMs)];
  for (const timer of timers) timer.unref();
  return () => {
    for (const timer of timers) clearInterval(timer);
  };
}
