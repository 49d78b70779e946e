import type { Kysely } from 'kysely';
import type { Database, DevOutboxTable } from '../store/schema.ts';
import type { MailMessage, MailSender } from './mail-sender.ts';
import type { SmsSender } from './sms/sms-sender.ts';

/**
 * Development stand-in for SMTP and SMS: messages are stored and shown at /dev/outbox. Never
 * used when NODE_ENV=production (the configuration refuses to start without a real sender).
 */
export class DevOutbox implements MailSender, SmsSender {
  readonly name = 'dev-outbox';
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async send(message: MailMessage | { to: string; body: string }): Promise<{ providerMessageId: string }> {
    const id = crypto.randomUUID();
    const mail = 'subject' in message;
    await this.#db
      .insertInto('dev_outbox')
      .values({
        id,
        channel: mail ? 'email' : 'sms',
        recipient: message.to,
        subject: mail ? message.subject : null,
        body: mail ? message.text : message.body,
        created_at: Date.now(),
      })
      .execute();
    return { providerMessageId: id };
  }

  list(recipient?: string, limit = 50): Promise<DevOutboxTable[]> {
    let query = this.#db.selectFrom('dev_outbox').selectAll().orderBy('created_at', 'desc').limit(limit);
    if (recipient) query = query.where('recipient', '=', recipient);
    return query.execute();
  }
}
