import type { Kysely } from 'kysely';
import type { TableDeclaration } from '../customers/customer-data.ts';
import type { Database, DevOutboxTable } from '../store/schema.ts';
import type { MailMessage, MailSender } from './mail-sender.ts';
import type { SmsSender } from './sms/sms-sender.ts';

/**
 * Development stand-in for SMTP and SMS: messages are stored and shown at /dev/outbox. Never
 * used when NODE_ENV=production (the configuration refuses to start without a real sender).
 */
export class DevOutbox implements MailSender, SmsSender {
  /** Declared by the class (customer-data-owners.ts registers it): the table exists whether or not this process writes it. */
  static readonly declarations: readonly TableDeclaration[] = [
    {
      table: 'dev_outbox',
      columns: { id: 'plain', channel: 'plain', recipient: 'contact', subject: 'messages', body: 'messages', created_at: 'plain' },
      erasure: { rule: 'keep', reason: 'the development stand-in for mail and SMS; never written with NODE_ENV=production' },
      export: { rule: 'omitted', reason: 'the development stand-in: never written in production' },
    },
  ];
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
