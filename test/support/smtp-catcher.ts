import { once } from 'node:events';
import { SMTPServer } from 'smtp-server';

export interface CaughtMail {
  to: string[];
  raw: string;
  /** The message with quoted-printable soft breaks and escapes undone, enough to read codes and links. */
  text: string;
}

/**
 * A real SMTP server (the `smtp-server` package) on 127.0.0.1 that keeps what it receives. It can
 * play an outage: while paused it answers every connection `421 Service not available` (what a
 * mail server that is down for maintenance says), keeping its port so nothing else can take it.
 */
export class SmtpCatcher {
  readonly mails: CaughtMail[] = [];
  #server: SMTPServer | undefined;
  #port = 0;
  #refusing = false;

  static async start(): Promise<SmtpCatcher> {
    const catcher = new SmtpCatcher();
    await SmtpCatcher.startListening(catcher);
    return catcher;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.#port}`;
  }

  static async startListening(catcher: SmtpCatcher): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onConnect: (_session, callback) => {
        if (!catcher.#refusing) return callback();
        return callback(Object.assign(new Error('Service not available, try again later'), { responseCode: 421 }));
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const text = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
          catcher.mails.push({ to: session.envelope.rcptTo.map((address) => address.address), raw, text });
          callback();
        });
      },
    });
    server.listen(0, '127.0.0.1');
    await once(server.server, 'listening');
    catcher.#port = (server.server.address() as { port: number }).port;
    catcher.#server = server;
  }

  /** The outage begins: every new connection gets 421. */
  async pause(): Promise<void> {
    this.#refusing = true;
  }

  /** The outage ends. */
  async resume(): Promise<void> {
    this.#refusing = false;
  }

  /** Waits for the `count`-th mail to `to` and answers it. */
  async waitFor(to: string, count = 1, timeoutMs = 15_000): Promise<CaughtMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const matching = this.mails.filter((mail) => mail.to.includes(to));
      if (matching.length >= count) return matching[count - 1]!;
      if (Date.now() > deadline) throw new Error(`no mail #${count} to ${to} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
