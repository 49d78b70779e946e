import type { SmsSettings } from '../../config/sms-settings.ts';
import { ElksSmsSender } from './elks-sender.ts';
import type { SmsSender } from './sms-sender.ts';
import { TwilioSmsSender } from './twilio-sender.ts';
import { WebhookSmsSender } from './webhook-sender.ts';

/** The sender the settings ask for; undefined when SMS is turned off. */
export function createSmsSender(settings: SmsSettings): SmsSender | undefined {
  switch (settings.provider) {
    case 'none':
      return undefined;
    case '46elks':
      return new ElksSmsSender(settings);
    case 'twilio':
      return new TwilioSmsSender(settings);
    case 'webhook':
      return new WebhookSmsSender(settings);
  }
}
