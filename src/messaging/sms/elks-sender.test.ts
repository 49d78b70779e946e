import { describe, expect, it, onTestFinished } from 'vitest';
import { DeliveryError } from '../delivery-error.ts';
import { ElksSmsSender } from './elks-sender.ts';
import { startFakeProvider, type FakeAnswer } from './fake-provider-server.ts';

const body = 'Din kod är 482913';

async function elksWith(answer: FakeAnswer, timeoutMs?: number) {
  const provider = await startFakeProvider(() => answer);
  onTestFinished(() => provider.close());
  const sender = new ElksSmsSender({ apiUser: 'u1234', apiPassword: 'p-secret', from: 'Portvakt', baseUrl: provider.baseUrl, timeoutMs });
  return { provider, sender };
}

async function failure(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(() => undefined, (reason: unknown) => reason);
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

describe('ElksSmsSender', () => {
  it('POSTs the form to /a1/sms with Basic auth and returns the 46elks id', async () => {
    const { provider, sender } = await elksWith({ status: 200, json: { id: 's17a6dafb12d6b1cabc053d57dac2b9d8', status: 'created' } });
    const result = await sender.send({ to: '+46701234567', body });
    expect(result).toEqual({ providerMessageId: 's17a6dafb12d6b1cabc053d57dac2b9d8' });
    const [request] = provider.received;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/a1/sms');
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from('u1234:p-secret').toString('base64')}`);
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(request?.body))).toEqual({ from: 'Portvakt', to: '+46701234567', message: body });
  });

  it('keeps a path prefix of the base URL', async () => {
    const provider = await startFakeProvider(() => ({ status: 200, json: { id: 'x' } }));
    onTestFinished(() => provider.close());
    const sender = new ElksSmsSender({ apiUser: 'u', apiPassword: 'p', from: 'Portvakt', baseUrl: `${provider.baseUrl}/proxy/` });
    await sender.send({ to: '+46701234567', body });
    expect(provider.received[0]?.path).toBe('/proxy/a1/sms');
  });

  it.each([
    [500, true],
    [503, true],
    [429, true],
    [400, false],
    [401, false],
    [403, false],
  ])('HTTP %i → DeliveryError, retryable %s, naming provider and status only', async (status, retryable) => {
    const { sender } = await elksWith({ status, json: { error: `rejected: ${body}` } });
    const error = await failure(sender.send({ to: '+46701234567', body }));
    expect(error.retryable).toBe(retryable);
    expect(error.status).toBe(status);
    expect(error.provider).toBe('46elks');
    expect(error.message).toBe(`46elks answered HTTP ${status}`);
    expect(error.message).not.toContain('482913');
  });

  it('a provider that never answers → retryable timeout', async () => {
    const { sender } = await elksWith('never', 200);
    const error = await failure(sender.send({ to: '+46701234567', body }));
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('46elks did not answer within 200 ms');
  });

  it('a provider that cannot be reached → retryable', async () => {
    const provider = await startFakeProvider(() => ({ status: 200 }));
    await provider.close();
    const sender = new ElksSmsSender({ apiUser: 'u', apiPassword: 'p', from: 'Portvakt', baseUrl: provider.baseUrl });
    const error = await failure(sender.send({ to: '+46701234567', body }));
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('46elks could not be reached');
  });

  it('an accepted answer without JSON still counts as sent', async () => {
    const { sender } = await elksWith({ status: 200 });
    await expect(sender.send({ to: '+46701234567', body })).resolves.toEqual({});
  });

  it('refuses a recipient that is not E.164 without calling the provider', async () => {
    const { provider, sender } = await elksWith({ status: 200, json: { id: 'x' } });
    const error = await failure(sender.send({ to: '0701234567', body }));
    expect(error.retryable).toBe(false);
    expect(provider.received).toHaveLength(0);
  });
});
