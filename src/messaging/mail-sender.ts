import nodemailer, { type Transporter } from 'nodemailer';
import { DeliveryError } from './delivery-error.ts';

export interface MailMessage {
  /** The brand's sender; the configured MAIL_FROM when absent. */
  from?: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface MailSender {
  readonly name: string;
  send(message: MailMessage): Promise<unknown>;
}

/**
 * SMTP through nodemailer (`SMTP_URL`, e.g. smtp://user:pass@mail.example.com:587). A reply code
 * 5xx is a permanent refusal; anything else (4xx, connection refused, timeout) is retried by the
 * outbox.
 */
export class SmtpMailSender implements MailSender {
  readonly name = 'smtp';
  readonly #transport: Transporter;
  readonly #from: string;
  readonly #timeoutMs: number;

  constructor(url: string, from: string, timeoutMs = 10_000) {
    this.#timeoutMs = timeoutMs;
    // An object with `url`: the URL gives host, port and credentials, the other keys apply too.
    this.#transport = nodemailer.createTransport({
      url,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs * 3,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    this.#from = from;
  }

  async send(message: MailMessage): Promise<void> {
    try {
      await this.#transport.sendMail({ from: this.#from, ...message });
    } catch (error) {
      const responseCode = (error as { responseCode?: number }).responseCode;
      if (responseCode === undefined) throw DeliveryError.forNoAnswer('smtp', error, this.#timeoutMs);
      throw new DeliveryError(`smtp answered ${responseCode}`, { provider: 'smtp', retryable: responseCode < 500, status: responseCode, cause: error });
    }
  }

  close(): void {
    this.#transport.close();
  }
}
