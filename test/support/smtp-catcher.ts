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
 * be stopped and started again on the same port, to play an SMTP outage.
 */
export class SmtpCatcher {
  readonly mails: CaughtMail[] = [];
  #server: SMTPServer | undefined;
  #port = 0;

  static async start(): Promise<SmtpCatcher> {
    const catcher = new SmtpCatcher();
    await catcher.resume();
    return catcher;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.#port}`;
  }

  /** Starts (again) listening, on the port it had before if it had one. */
  async resume(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const text = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
          this.mails.push({ to: session.envelope.rcptTo.map((address) => address.address), raw, text });
          callback();
        });
      },
    });
    server.listen(this.#port, '127.0.0.1');
    await once(server.server, 'listening');
    this.#port = (server.server.address() as { port: number }).port;
    this.#server = server;
  }

  /** Stops listening: connections are refused until `resume`. */
  async pause(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
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

  close(): Promise<void> {
    return this.pause();
  }
}
