import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { signWebhook } from '../../src/events/webhook-signature.ts';

export interface ReceivedWebhook {
  id: string;
  type: string;
  data: Record<string, unknown>;
  signatureValid: boolean;
}

/**
 * A downstream system's webhook endpoint on 127.0.0.1: checks each signature against the secret
 * (Standard Webhooks), records what arrived, and can be "down" (503) for a while.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  secret = '';
  down = false;
  #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<WebhookReceiver> {
    const receiver: WebhookReceiver = new WebhookReceiver(
      createServer((request, response) => {
        let raw = '';
        request.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
        request.on('end', () => {
          if (receiver.down) return response.writeHead(503).end();
          const id = String(request.headers['webhook-id']);
          const timestamp = Number(request.headers['webhook-timestamp']);
          const expected = signWebhook(receiver.secret, id, timestamp, raw);
          const body = JSON.parse(raw) as { type: string; data: Record<string, unknown> };
          receiver.received.push({ id, type: body.type, data: body.data, signatureValid: String(request.headers['webhook-signature']).split(' ').includes(expected) });
          response.writeHead(204).end();
        });
      }),
    );
    receiver.#server.listen(0, '127.0.0.1');
    await once(receiver.#server, 'listening');
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as { port: number }).port}/hooks`;
  }

  async waitFor(count: number, timeoutMs = 15_000): Promise<ReceivedWebhook[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.received.length} of ${count} webhooks arrived`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.received;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
