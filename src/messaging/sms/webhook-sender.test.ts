import { createHmac } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DeliveryError } from '../delivery-error.ts';
import { startFakeProvider, type FakeAnswer, type ReceivedRequest } from './fake-provider-server.ts';
import { WebhookSmsSender } from './webhook-sender.ts';

const keyBytes = Buffer.from('0123456789abcdef0123456789abcdef');
const secret = `whsec_${keyBytes.toString('base64')}`;
const body = 'Kod: 905127';

async function webhookWith(answer: FakeAnswer, options: { timeoutMs?: number; secret?: string } = {}) {
  const provider = await startFakeProvider(() => answer);
  onTestFinished(() => provider.close());
  const sender = new WebhookSmsSender({ url: `${provider.baseUrl}/sms/outbound`, secret: options.secret ?? secret, timeoutMs: options.timeoutMs });
  return { provider, sender };
}

/** Verifies as a Standard Webhooks receiver would, independently of the sender's code. */
function signatureVerifies(request: ReceivedRequest, key: Buffer): boolean {
  const id = String(request.headers['webhook-id']);
  const timestamp = String(request.headers['webhook-timestamp']);
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${request.body}`).digest('base64');
  return String(request.headers['webhook-signature']).split(' ').includes(`v1,${expected}`);
}

describe('WebhookSmsSender', () => {
  it('POSTs signed JSON { to, body, id } and returns the webhook id', async () => {
    const { provider, sender } = await webhookWith({ status: 204 });
    const before = Math.floor(Date.now() / 1000);
    const result = await sender.send({ to: '+46701234567', body });
    const [request] = provider.received;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/sms/outbound');
    expect(request?.headers['content-type']).toBe('application/json');
    const json: unknown = JSON.parse(request!.body);
    expect(json).toEqual({ to: '+46701234567', body, id: request?.headers['webhook-id'] });
    expect(result).toEqual({ providerMessageId: request?.headers['webhook-id'] });
    expect(request?.headers['webhook-id']).toMatch(/^msg_[0-9a-f-]{36}$/);
    const timestamp = Number(request?.headers['webhook-timestamp']);
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(signatureVerifies(request!, keyBytes)).toBe(true);
    expect(signatureVerifies(request!, Buffer.from('another key, another signature'))).toBe(false);
  });

  it('uses a secret without the whsec_ prefix as UTF-8 bytes', async () => {
    const plain = 'a-plain-shared-secret-of-some-length';
    const { provider, sender } = await webhookWith({ status: 200 }, { secret: plain });
    await sender.send({ to: '+46701234567', body });
    expect(signatureVerifies(provider.received[0]!, Buffer.from(plain, 'utf8'))).toBe(true);
  });

  it('gives every message its own id', async () => {
    const { provider, sender } = await webhookWith({ status: 200 });
    await sender.send({ to: '+46701234567', body });
    await sender.send({ to: '+46701234567', body });
    expect(provider.received[0]?.headers['webhook-id']).not.toBe(provider.received[1]?.headers['webhook-id']);
  });

  it.each([
    [500, true],
    [429, true],
    [400, false],
    [401, false],
  ])('HTTP %i → DeliveryError, retryable %s, naming provider and status only', async (status, retryable) => {
    const { sender } = await webhookWith({ status, json: { echo: body } });
    const error = await sender.send({ to: '+46701234567', body }).then(() => undefined, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).retryable).toBe(retryable);
    expect((error as DeliveryError).message).toBe(`webhook answered HTTP ${status}`);
    expect((error as DeliveryError).message).not.toContain('905127');
  });

  it('a receiver that never answers → retryable timeout', async () => {
    const { sender } = await webhookWith('never', { timeoutMs: 200 });
    const error = await sender.send({ to: '+46701234567', body }).then(() => undefined, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).retryable).toBe(true);
    expect((error as DeliveryError).message).not.toContain('905127');
  });
});
