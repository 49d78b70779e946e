import { createHmac, randomUUID } from 'node:crypto';
import { assertE164Recipient, type SmsMessage, type SmsSender } from './sms-sender.ts';
import { DEFAULT_TIMEOUT_MS, postToProvider } from './provider-request.ts';

export interface WebhookSenderOptions {
  /** Receives POST application/json `{ to, body, id }`. */
  url: string;
  /**
   * Signing secret. In the Standard Webhooks form `whsec_<base64>` the decoded bytes are the key
   * (so their reference libraries verify it); any other string is used as UTF-8 bytes.
   */
  secret: string;
  /** Default 10000. */
  timeoutMs?: number;
}

/** The HMAC key a secret stands for: Standard Webhooks `whsec_<base64>` or plain text. */
export function webhookSigningKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
}

/** `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{payload}">`, as Standard Webhooks signs. */
export function webhookSignature(secret: string, id: string, timestamp: number, payload: string): string {
  const mac = createHmac('sha256', webhookSigningKey(secret)).update(`${id}.${timestamp}.${payload}`, 'utf8');
  return `v1,${mac.digest('base64')}`;
}

/**
 * Hands each message to an HTTP endpoint of the operator's own (a gateway, a queue, a test
 * double), signed like Standard Webhooks: headers webhook-id, webhook-timestamp (unix seconds)
 * and webhook-signature. Any 2xx means accepted; the message id is the webhook id.
 */
export class WebhookSmsSender implements SmsSender {
  readonly name = 'webhook';
  readonly #options: WebhookSenderOptions;

  constructor(options: WebhookSenderOptions) {
    this.#options = options;
  }

  async send(message: SmsMessage): Promise<{ providerMessageId?: string }> {
    assertE164Recipient(this.name, message.to);
    const id = `msg_${randomUUID()}`;
    const timestamp = Math.floor(Date.now() / 1000);
    const payload = JSON.stringify({ to: message.to, body: message.body, id });
    await postToProvider({
      provider: this.name,
      url: this.#options.url,
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': webhookSignature(this.#options.secret, id, timestamp, payload),
      },
      body: payload,
      timeoutMs: this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    return { providerMessageId: id };
  }
}
