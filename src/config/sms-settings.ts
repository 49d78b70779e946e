import { z } from 'zod';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** The SMS environment variables, to merge into the server's env schema (`.extend(smsEnvSchema.shape)`). */
export const smsEnvSchema = z.object({
  SMS_PROVIDER: z
    .enum(['none', '46elks', 'twilio', 'webhook'], { error: 'must be none, 46elks, twilio or webhook' })
    .default('none')
    .describe('Who delivers text messages (one-time codes): none (SMS disabled), 46elks, twilio or webhook'),
  SMS_FROM: z
    .string()
    .min(1)
    .optional()
    .describe('Sender the recipient sees: an E.164 number, or an alphanumeric name of 3–11 characters; required for 46elks and twilio'),
  ELKS_API_USER: z.string().min(1).optional().describe('46elks API username (required when SMS_PROVIDER=46elks)'),
  ELKS_API_PASSWORD: z.string().min(1).optional().describe('46elks API password (required when SMS_PROVIDER=46elks)'),
  TWILIO_ACCOUNT_SID: z
    .string()
    .regex(/^AC[0-9a-fA-F]{32}$/, 'must be a Twilio Account SID: AC followed by 32 hex digits')
    .optional()
    .describe('Twilio Account SID (required when SMS_PROVIDER=twilio)'),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional().describe('Twilio Auth Token (required when SMS_PROVIDER=twilio)'),
  SMS_WEBHOOK_URL: httpUrl.optional().describe('Endpoint receiving POST { to, body, id } (required when SMS_PROVIDER=webhook)'),
  SMS_WEBHOOK_SECRET: z
    .string()
    .min(24, 'must be at least 24 characters')
    .optional()
    .describe('Standard Webhooks signing secret, best whsec_<base64> (required when SMS_PROVIDER=webhook)'),
  SMS_API_BASE_URL: httpUrl
    .optional()
    .describe('Overrides the provider base URL (https://api.46elks.com, https://api.twilio.com), for proxies and tests'),
  SMS_TIMEOUT_MS: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(100)
    .max(120_000)
    .default(10_000)
    .describe('How long to wait for the SMS provider before counting the attempt as failed (retryable)'),
});

export type SmsEnv = z.infer<typeof smsEnvSchema>;

export type SmsSettings =
  | { provider: 'none' }
  | { provider: '46elks'; from: string; apiUser: string; apiPassword: string; baseUrl: string | undefined; timeoutMs: number }
  | { provider: 'twilio'; from: string; accountSid: string; authToken: string; baseUrl: string | undefined; timeoutMs: number }
  | { provider: 'webhook'; url: string; secret: string; timeoutMs: number };

/**
 * Reads the SMS settings from environment variables (raw strings, or values the server's schema
 * already parsed). Empty values count as unset. Throws an Error whose message starts with the
 * offending key: a bad value, or a credential the chosen provider needs but lacks.
 */
export function smsSettingsFrom(env: Record<string, unknown>): SmsSettings {
  const defined = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = smsEnvSchema.safeParse(defined);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${issue.path.join('.')} ${issue.message}`);
  }
  const values = parsed.data;
  const required = (key: keyof SmsEnv): string => {
    const value = values[key];
    if (typeof value !== 'string') throw new Error(`${key} is required when SMS_PROVIDER=${values.SMS_PROVIDER}`);
    return value;
  };
  const timeoutMs = values.SMS_TIMEOUT_MS;
  const baseUrl = values.SMS_API_BASE_URL;
  switch (values.SMS_PROVIDER) {
    case 'none':
      return { provider: 'none' };
    case '46elks':
      return {
        provider: '46elks',
        apiUser: required('ELKS_API_USER'),
        apiPassword: required('ELKS_API_PASSWORD'),
        from: required('SMS_FROM'),
        baseUrl,
        timeoutMs,
      };
    case 'twilio':
      return {
        provider: 'twilio',
        accountSid: required('TWILIO_ACCOUNT_SID'),
        authToken: required('TWILIO_AUTH_TOKEN'),
        from: required('SMS_FROM'),
        baseUrl,
        timeoutMs,
      };
    case 'webhook':
      return { provider: 'webhook', url: required('SMS_WEBHOOK_URL'), secret: required('SMS_WEBHOOK_SECRET'), timeoutMs };
  }
}
