import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { signWebhook } from '../../src/events/webhook-signature.ts';

export interface ContractCall {
  path: string;
  messageId: string;
  signatureValid: boolean;
  body: { request_id: string; type: string; customer_reference: string | null; identifiers: Record<string, string>; categories: string[]; mode: string; retention: { rule: string; until: string } | null; callback_url: string | null };
}

export type Behaviour =
  /** Answers every request with its receipt at once. */
  | { kind: 'api'; failFirst?: number; answerAfterMs?: number }
  /** Answers 202 "accepted", then posts the receipt to callback_url after `delayMs` (unless `hold`). */
  | { kind: 'callback'; delayMs: number; hold?: boolean }
  /** Keeps the data under a legal hold: restricts, and says until when. */
  | { kind: 'restrict'; until: string };

/**
 * A system on the data map, on 127.0.0.1, implementing the system contract: it checks each
 * signature, records every call, keeps one receipt per request id (a repeated request gets the
 * same receipt), and behaves like a CRM, a callback-driven e-mail list, a flaky web shop or an
 * accounting system under a bookkeeping hold.
 */
export class SystemDouble {
  readonly calls: ContractCall[] = [];
  readonly callbacks: Array<{ status: number }> = [];
  secret = '';
  readonly #receipts = new Map<string, Record<string, unknown>>();
  readonly #server: Server;
  #failuresLeft: number;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly behaviour: Behaviour;

  private constructor(behaviour: Behaviour) {
    this.behaviour = behaviour;
    this.#failuresLeft = behaviour.kind === 'api' ? (behaviour.failFirst ?? 0) : 0;
    this.#server = createServer((request, response) => {
      let raw = '';
      request.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      request.on('end', () => {
        const messageId = String(request.headers['webhook-id']);
        const expected = signWebhook(this.secret, messageId, Number(request.headers['webhook-timestamp']), raw);
        const body = JSON.parse(raw) as ContractCall['body'];
        this.calls.push({ path: request.url ?? '', messageId, signatureValid: String(request.headers['webhook-signature']).split(' ').includes(expected), body });
        if (this.#failuresLeft > 0) {
          this.#failuresLeft -= 1;
          return response.writeHead(500).end('down for maintenance');
        }
        const receipt = this.#receipts.get(body.request_id) ?? this.#receiptFor(body);
        this.#receipts.set(body.request_id, receipt);
        if (this.behaviour.kind === 'callback') {
          response.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ request_id: body.request_id, status: 'accepted' }));
          if (!this.behaviour.hold) this.#timers.add(setTimeout(() => void this.#deliverCallback(body.callback_url!, receipt), this.behaviour.delayMs));
          return;
        }
        const answer = () => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(receipt));
        const delay = this.behaviour.kind === 'api' ? (this.behaviour.answerAfterMs ?? 0) : 0;
        if (delay > 0) this.#timers.add(setTimeout(answer, delay));
        else answer();
      });
    });
  }

  static async start(behaviour: Behaviour): Promise<SystemDouble> {
    const double = new SystemDouble(behaviour);
    double.#server.listen(0, '127.0.0.1');
    await once(double.#server, 'listening');
    return double;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.#server.address() as { port: number }).port}/gdpr`;
  }

  #receiptFor(body: ContractCall['body']): Record<string, unknown> {
    if (body.type === 'export') return { request_id: body.request_id, status: 'completed', export: { reference: body.customer_reference, orders: [{ id: 'order-1', total: 499 }] } };
    if (this.behaviour.kind === 'restrict') {
      return { request_id: body.request_id, status: 'completed', deleted: [], retained: body.categories.map((category) => ({ category, reason: 'bookkeeping (Bokföringslagen)', until: (this.behaviour as { until: string }).until })) };
    }
    return { request_id: body.request_id, status: 'completed', deleted: body.categories, retained: [] };
  }

  /** Like a real system: a callback that cannot be delivered (a connection refused under load) is tried again. */
  async #deliverCallback(url: string, receipt: unknown): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const status = await this.callBack(url, receipt).catch(() => 0);
      if (status >= 200 && status < 500) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Posts a receipt to a callback URL, signed with this system's secret (or as told, for forgeries). */
  async callBack(url: string, receipt: unknown, options: { secret?: string; timestamp?: number; messageId?: string } = {}): Promise<number> {
    const text = JSON.stringify(receipt);
    const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    // The contract: the callback's message id is the one the request came with (the task id, the URL's last segment).
    const messageId = options.messageId ?? url.split('/').at(-1)!;
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': messageId, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(options.secret ?? this.secret, messageId, timestamp, text) },
      body: text,
    });
    this.callbacks.push({ status: response.status });
    return response.status;
  }

  /** The system works again: no more failures. */
  heal(): void {
    this.#failuresLeft = 0;
  }

  receiptOf(requestId: string): Record<string, unknown> | undefined {
    return this.#receipts.get(requestId);
  }

  close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
