import type { Kysely } from 'kysely';
import type { Config } from '../config/load-config.ts';
import type { Database } from '../store/schema.ts';
import { DeliveryError } from './delivery-error.ts';
import { DevOutbox } from './dev-outbox.ts';
import { SmtpMailSender, type MailMessage, type MailSender } from './mail-sender.ts';
import { MAIL_TOPIC, Messenger, SMS_TOPIC } from './messenger.ts';
import { Outbox } from './outbox.ts';
import { OutboxWorker, type WorkerLog } from './outbox-worker.ts';
import { createSmsSender } from './sms/create-sms-sender.ts';
import type { SmsMessage, SmsSender } from './sms/sms-sender.ts';

export interface Messaging {
  outbox: Outbox;
  messenger: Messenger;
  worker: OutboxWorker;
  /** Present outside production: where mail and SMS land without a configured sender. */
  devOutbox: DevOutbox | undefined;
  close(): Promise<void>;
}

/**
 * Mail over SMTP (or the dev outbox), SMS through the configured provider (or the dev outbox),
 * both delivered from the outbox by one worker per process (started by the app).
 */
export function buildMessaging(config: Config, db: Kysely<Database>, log: WorkerLog): Messaging {
  const outbox = new Outbox(db, config.secrets.sealing('outbox-payload'), {
    baseDelayMs: config.outbox.retryBaseMs,
    maxDelayMs: config.outbox.retryMaxMs,
    maxAttempts: 25,
    leaseMs: 60_000,
  });
  const smtp = config.mail.smtpUrl ? new SmtpMailSender(config.mail.smtpUrl, config.mail.from) : undefined;
  const smsProvider = createSmsSender(config.sms);
  // The development outbox only where a channel has no real sender, and never in production.
  const devOutbox = config.devOutbox && (!smtp || !smsProvider) ? new DevOutbox(db) : undefined;
  const mail: MailSender | undefined = smtp ?? devOutbox;
  const sms: SmsSender | undefined = smsProvider ?? devOutbox;
  const worker = new OutboxWorker(
    outbox,
    {
      [MAIL_TOPIC]: (message: MailMessage) => (mail ? mail.send(message) : Promise.reject(unconfigured('mail'))),
      [SMS_TOPIC]: (message: SmsMessage) => (sms ? sms.send(message) : Promise.reject(unconfigured('sms'))),
    },
    log,
    config.outbox.pollMs,
  );
  return {
    outbox,
    messenger: new Messenger(outbox),
    worker,
    devOutbox,
    async close() {
      await worker.stop();
      smtp?.close();
    },
  };
}

function unconfigured(channel: string): DeliveryError {
  return new DeliveryError(`no ${channel} sender is configured`, { provider: channel, retryable: false });
}
