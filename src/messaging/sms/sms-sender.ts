import { DeliveryError } from '../delivery-error.ts';

/** One text message to one phone. */
export interface SmsMessage {
  /** Recipient in E.164 form, such as +46701234567. */
  to: string;
  /** The text; often carries a one-time code, so it is never logged or put into errors. */
  body: string;
}

/**
 * Hands text messages to an SMS provider. `send` resolves once the provider accepted the message
 * and rejects with a DeliveryError (see its `retryable`) otherwise.
 */
export interface SmsSender {
  readonly name: string;
  send(message: SmsMessage): Promise<{ providerMessageId?: string }>;
}

/** The ITU-T E.164 form: a plus sign and up to 15 digits, the first not zero. */
const E164 = /^\+[1-9]\d{1,14}$/;

/** Refuses, as a permanent failure, a recipient that is not an E.164 number. */
export function assertE164Recipient(provider: string, to: string): void {
  if (!E164.test(to)) {
    throw new DeliveryError(`${provider}: the recipient is not an E.164 phone number`, { provider, retryable: false });
  }
}
