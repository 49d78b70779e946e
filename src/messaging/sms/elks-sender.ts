import { assertE164Recipient, type SmsMessage, type SmsSender } from './sms-sender.ts';
import { DEFAULT_TIMEOUT_MS, basicAuthorization, joinUrl, postToProvider, stringField } from './provider-request.ts';

export interface ElksSenderOptions {
  /** API username from the 46elks dashboard. */
  apiUser: string;
  apiPassword: string;
  /** Sender: an E.164 number or an alphanumeric name of 3–11 characters. */
  from: string;
  /** Default https://api.46elks.com. */
  baseUrl?: string;
  /** Default 10000. */
  timeoutMs?: number;
}

/** Sends through 46elks: POST /a1/sms, Basic auth, form fields from/to/message; answers `{ id }`. */
export class ElksSmsSender implements SmsSender {
  readonly name = '46elks';
  readonly #options: ElksSenderOptions;

  constructor(options: ElksSenderOptions) {
    this.#options = options;
  }

  async send(message: SmsMessage): Promise<{ providerMessageId?: string }> {
    assertE164Recipient(this.name, message.to);
    const options = this.#options;
    const answer = await postToProvider({
      provider: this.name,
      url: joinUrl(options.baseUrl ?? 'https://api.46elks.com', '/a1/sms'),
      headers: {
        authorization: basicAuthorization(options.apiUser, options.apiPassword),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ from: options.from, to: message.to, message: message.body }).toString(),
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    const providerMessageId = stringField(answer, 'id');
    return providerMessageId === undefined ? {} : { providerMessageId };
  }
}
