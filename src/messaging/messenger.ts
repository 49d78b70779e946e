import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { MailMessage } from './mail-sender.ts';
import type { Outbox } from './outbox.ts';
import { renderCodeMail, renderCodeSms, renderNoticeMail, type CodeMessage, type NoticeMessage } from './templates/render-message.ts';

export const MAIL_TOPIC = 'mail';
export const SMS_TOPIC = 'sms';

/**
 * Renders a code message and puts it in the outbox, in the caller's transaction. The row expires
 * with the code: retrying a message whose code is dead would only confuse the customer.
 */
export class Messenger {
  readonly #outbox: Outbox;

  constructor(outbox: Outbox) {
    this.#outbox = outbox;
  }

  sendCode(db: Kysely<Database> | Transaction<Database>, channel: 'email' | 'sms', message: CodeMessage, now = Date.now()): Promise<string> {
    const expiresAt = now + message.minutes * 60_000;
    return channel === 'email'
      ? this.#outbox.enqueue(db, { topic: MAIL_TOPIC, payload: renderCodeMail(message), expiresAt }, now)
      : this.#outbox.enqueue(db, { topic: SMS_TOPIC, payload: renderCodeSms(message), expiresAt }, now);
  }

  /** A message already rendered (an operator's invitation), retried until `expiresAt`. */
  sendRendered(db: Kysely<Database> | Transaction<Database>, mail: MailMessage, expiresAt: number, now = Date.now()): Promise<string> {
    return this.#outbox.enqueue(db, { topic: MAIL_TOPIC, payload: mail, expiresAt }, now);
  }

  /** A security notice; it keeps being retried for a day (it carries no code that could expire). */
  sendNotice(db: Kysely<Database> | Transaction<Database>, message: NoticeMessage, now = Date.now()): Promise<string> {
    return this.#outbox.enqueue(db, { topic: MAIL_TOPIC, payload: renderNoticeMail(message), expiresAt: now + 24 * 3600_000 }, now);
  }
}
