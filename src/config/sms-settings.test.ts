import { describe, expect, it } from 'vitest';
import { ElksSmsSender } from '../messaging/sms/elks-sender.ts';
import { createSmsSender } from '../messaging/sms/create-sms-sender.ts';
import { smsEnvSchema, smsSettingsFrom } from './sms-settings.ts';
import { TwilioSmsSender } from '../messaging/sms/twilio-sender.ts';
import { WebhookSmsSender } from '../messaging/sms/webhook-sender.ts';

const accountSid = `AC${'0123456789abcdef'.repeat(2)}`;
const webhookSecret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;

describe('smsSettingsFrom', () => {
  it('turns SMS off when nothing is configured', () => {
    expect(smsSettingsFrom({})).toEqual({ provider: 'none' });
    expect(smsSettingsFrom({ SMS_PROVIDER: '' })).toEqual({ provider: 'none' });
    expect(createSmsSender({ provider: 'none' })).toBeUndefined();
  });

  it('reads 46elks credentials, sender, base URL override and timeout', () => {
    const settings = smsSettingsFrom({
      SMS_PROVIDER: '46elks',
      SMS_FROM: 'Portvakt',
      ELKS_API_USER: 'u1',
      ELKS_API_PASSWORD: 'p1',
      SMS_API_BASE_URL: 'http://127.0.0.1:9999',
      SMS_TIMEOUT_MS: '5000',
    });
    expect(settings).toEqual({ provider: '46elks', from: 'Portvakt', apiUser: 'u1', apiPassword: 'p1', baseUrl: 'http://127.0.0.1:9999', timeoutMs: 5000 });
    expect(createSmsSender(settings)).toBeInstanceOf(ElksSmsSender);
  });

  it('reads Twilio and webhook settings, with the 10 s default timeout', () => {
    const twilio = smsSettingsFrom({ SMS_PROVIDER: 'twilio', SMS_FROM: '+15005550006', TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: 't' });
    expect(twilio).toEqual({ provider: 'twilio', from: '+15005550006', accountSid, authToken: 't', baseUrl: undefined, timeoutMs: 10_000 });
    expect(createSmsSender(twilio)?.name).toBe('twilio');
    expect(createSmsSender(twilio)).toBeInstanceOf(TwilioSmsSender);
    const webhook = smsSettingsFrom({ SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: 'https://sms.example.se/send', SMS_WEBHOOK_SECRET: webhookSecret });
    expect(webhook).toEqual({ provider: 'webhook', url: 'https://sms.example.se/send', secret: webhookSecret, timeoutMs: 10_000 });
    expect(createSmsSender(webhook)).toBeInstanceOf(WebhookSmsSender);
  });

  it('accepts values the server schema already parsed', () => {
    const parsed = smsEnvSchema.parse({ SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: 'https://sms.example.se/send', SMS_WEBHOOK_SECRET: webhookSecret });
    expect(smsSettingsFrom(parsed)).toMatchObject({ provider: 'webhook', timeoutMs: 10_000 });
  });

  it.each([
    [{ SMS_PROVIDER: 'sinch' }, /^SMS_PROVIDER must be none, 46elks, twilio or webhook$/],
    [{ SMS_PROVIDER: '46elks', SMS_FROM: 'Portvakt', ELKS_API_PASSWORD: 'p' }, /^ELKS_API_USER is required when SMS_PROVIDER=46elks$/],
    [{ SMS_PROVIDER: '46elks', SMS_FROM: 'Portvakt', ELKS_API_USER: 'u' }, /^ELKS_API_PASSWORD is required when SMS_PROVIDER=46elks$/],
    [{ SMS_PROVIDER: '46elks', ELKS_API_USER: 'u', ELKS_API_PASSWORD: 'p' }, /^SMS_FROM is required when SMS_PROVIDER=46elks$/],
    [{ SMS_PROVIDER: 'twilio', SMS_FROM: '+15005550006', TWILIO_AUTH_TOKEN: 't' }, /^TWILIO_ACCOUNT_SID is required when SMS_PROVIDER=twilio$/],
    [{ SMS_PROVIDER: 'twilio', SMS_FROM: '+15005550006', TWILIO_ACCOUNT_SID: accountSid }, /^TWILIO_AUTH_TOKEN is required when SMS_PROVIDER=twilio$/],
    [{ SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: 'AC123' }, /^TWILIO_ACCOUNT_SID must be a Twilio Account SID/],
    [{ SMS_PROVIDER: 'webhook', SMS_WEBHOOK_SECRET: webhookSecret }, /^SMS_WEBHOOK_URL is required when SMS_PROVIDER=webhook$/],
    [{ SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: 'https://sms.example.se' }, /^SMS_WEBHOOK_SECRET is required when SMS_PROVIDER=webhook$/],
    [{ SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: 'ftp://sms.example.se', SMS_WEBHOOK_SECRET: webhookSecret }, /^SMS_WEBHOOK_URL must be an http\(s\) URL$/],
    [{ SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: 'https://sms.example.se', SMS_WEBHOOK_SECRET: 'short' }, /^SMS_WEBHOOK_SECRET must be at least 24 characters$/],
    [{ SMS_TIMEOUT_MS: 'soon' }, /^SMS_TIMEOUT_MS must be a number$/],
  ])('stops on %o with a message naming the key', (env, message) => {
    expect(() => smsSettingsFrom(env)).toThrow(message);
  });

  it('never repeats a secret value in its error', () => {
    const run = () => smsSettingsFrom({ SMS_PROVIDER: 'webhook', SMS_WEBHOOK_URL: 'https://sms.example.se', SMS_WEBHOOK_SECRET: 'too-short-secret' });
    expect(run).toThrow(/^SMS_WEBHOOK_SECRET /);
    expect(run).not.toThrow(/too-short-secret/);
  });

  it('describes every variable', () => {
    for (const [key, schema] of Object.entries(smsEnvSchema.shape)) expect(schema.description, key).toBeTruthy();
  });
});
