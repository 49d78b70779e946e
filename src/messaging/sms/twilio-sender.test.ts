import { describe, expect, it, onTestFinished } from 'vitest';
import { DeliveryError } from '../delivery-error.ts';
import { startFakeProvider, type FakeAnswer } from './fake-provider-server.ts';
import { TwilioSmsSender } from './twilio-sender.ts';

const accountSid = `AC${'0123456789abcdef'.repeat(2)}`;
const body = 'Your code is 731552';

async function twilioWith(answer: FakeAnswer, timeoutMs?: number) {
  const provider = await startFakeProvider(() => answer);
  onTestFinished(() => provider.close());
  const sender = new TwilioSmsSender({ accountSid, authToken: 'token-secret', from: '+15005550006', baseUrl: provider.baseUrl, timeoutMs });
  return { provider, sender };
}

async function failure(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(() => undefined, (reason: unknown) => reason);
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

describe('TwilioSmsSender', () => {
  it('POSTs To/From/Body to the account Messages.json with Basic auth and returns the sid', async () => {
    const { provider, sender } = await twilioWith({ status: 201, json: { sid: 'SM1234567890abcdef1234567890abcdef', status: 'queued' } });
    const result = await sender.send({ to: '+46701234567', body });
    expect(result).toEqual({ providerMessageId: 'SM1234567890abcdef1234567890abcdef' });
    const [request] = provider.received;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(`/2010-04-01/Accounts/${accountSid}/Messages.json`);
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from(`${accountSid}:token-secret`).toString('base64')}`);
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(request?.body))).toEqual({ To: '+46701234567', From: '+15005550006', Body: body });
  });

  it.each([
    [500, true],
    [502, true],
    [429, true],
    [400, false],
    [401, false],
    [404, false],
  ])('HTTP %i → DeliveryError, retryable %s, naming provider and status only', async (status, retryable) => {
    const { sender } = await twilioWith({ status, json: { code: 21211, message: `The 'To' number is not valid. ${body}` } });
    const error = await failure(sender.send({ to: '+46701234567', body }));
    expect(error.retryable).toBe(retryable);
    expect(error.message).toBe(`twilio answered HTTP ${status}`);
    expect(error.message).not.toContain('731552');
  });

  it('a provider that never answers → retryable timeout', async () => {
    const { sender } = await twilioWith('never', 200);
    const error = await failure(sender.send({ to: '+46701234567', body }));
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('twilio did not answer within 200 ms');
  });
});
