import { assertE164Recipient, type SmsMessage, type SmsSender } from './sms-sender.ts';
import { DEFAULT_TIMEOUT_MS, basicAuthorization, joinUrl, postToProvider, stringField } from './provider-request.ts';

export interface TwilioSenderOptions {
  /** AC followed by 32 hex digits. */
  accountSid: string;
  authToken: string;
  /** A Twilio phone number in E.164 form (or an alphanumeric sender ID where allowed). */
  from: string;
  /** Default https://api.twilio.com. */
  baseUrl?: string;
  /** Default 10000. */
  timeoutMs?: number;
}

/**
 * Sends through Twilio's Programmable Messaging: POST /2010-04-01/Accounts/{AccountSid}/Messages.json,
 * Basic auth AccountSid:AuthToken, form fields To/From/Body; answers `{ sid }`.
 */
export class TwilioSmsSender implements SmsSender {
  readonly name = 'twilio';
  readonly #options: TwilioSenderOptions;

  constructor(options: TwilioSenderOptions) {
    this.#options = options;
  }

  async send(message: SmsMessage): Promise<{ providerMessageId?: string }> {
    assertE164Recipient(this.name, message.to);
    const options = this.#options;
    const path = `/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`;
    const answer = await postToProvider({
      provider: this.name,
      url: joinUrl(options.baseUrl ?? 'https://api.twilio.com', path),
      headers: {
        authorization: basicAuthorization(options.accountSid, options.authToken),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ To: message.to, From: options.from, Body: message.body }).toString(),
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    const providerMessageId = stringField(answer, 'sid');
    return providerMessageId === undefined ? {} : { providerMessageId };
  }
}
