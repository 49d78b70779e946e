import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';

export const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** How the receiver answers: 204, 503, never (the request hangs), or not at all (connections refused). */
export type ReceiverMode = 'up' | 'unavailable' | 'hang' | 'refusing';

/** A relying party's back-channel logout endpoint on 127.0.0.1: records every logout token POSTed to it. */
export class LogoutReceiver {
  readonly tokens: string[] = [];
  /** Every request that reached it, answered or not. */
  attempts = 0;
  mode: ReceiverMode = 'up';
  #server: Server;
  #port = 0;
  readonly #sockets = new Set<Socket>();

  private constructor() {
    this.#server = this.#create();
  }

  static async start(): Promise<LogoutReceiver> {
    const receiver = new LogoutReceiver();
    await receiver.#listen(0);
    return receiver;
  }

  get uri(): string {
    return `http://127.0.0.1:${this.#port}/backchannel-logout`;
  }

  /** Changes how it answers; `refusing` closes the port, anything else opens it again on the same port. */
  async set(mode: ReceiverMode): Promise<void> {
    const wasRefusing = this.mode === 'refusing';
    this.mode = mode;
    if (mode === 'refusing' && !wasRefusing) await this.#close();
    if (mode !== 'refusing' && wasRefusing) {
      this.#server = this.#create();
      await this.#listen(this.#port);
    }
    if (mode !== 'hang') for (const socket of this.#sockets) socket.destroy();
  }

  /** The tokens whose (unverified) `sub` is `sub`, waiting up to `timeoutMs` for at least `count`. */
  async waitFor(sub: string, count = 1, timeoutMs = 15_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const mine = this.tokens.filter((token) => decodeJwt(token).sub === sub);
      if (mine.length >= count) return mine;
      if (Date.now() > deadline) throw new Error(`no logout token for ${sub} at ${this.uri} within ${timeoutMs} ms (${this.attempts} attempts)`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async close(): Promise<void> {
    if (this.mode !== 'refusing') await this.#close();
  }

  #create(): Server {
    const server = createServer((request, response) => this.#answer(request, response));
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    return server;
  }

  #answer(request: IncomingMessage, response: ServerResponse): void {
    this.attempts++;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (this.mode === 'hang') return;
      if (this.mode === 'unavailable') {
        response.writeHead(503).end();
        return;
      }
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const token = form.get('logout_token');
      const formEncoded = request.headers['content-type']?.startsWith('application/x-www-form-urlencoded');
      if (request.method !== 'POST' || !formEncoded || !token) {
        response.writeHead(400).end();
        return;
      }
      this.tokens.push(token);
      response.writeHead(204).end();
    });
  }

  #listen(port: number): Promise<void> {
    return new Promise((resolve) =>
      this.#server.listen(port, '127.0.0.1', () => {
        const address = this.#server.address();
        this.#port = typeof address === 'object' && address ? address.port : 0;
        resolve();
      }),
    );
  }

  #close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/**
 * Validates a logout token as a relying party must (Back-Channel Logout 1.0 §2.6, what
 * openid-client's validation checks): the signature against the issuer's JWKS, `iss`, `aud`, `iat`,
 * `jti`, the back-channel logout event, no `nonce`, and `sid` when the client asked for it.
 */
export async function validateLogoutToken(token: string, expected: { issuer: string; jwksUri: string; clientId: string; sid?: string }): Promise<JWTPayload> {
  const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(expected.jwksUri)), {
    issuer: expected.issuer,
    audience: expected.clientId,
    requiredClaims: ['iat', 'jti'],
    maxTokenAge: '5 minutes',
  });
  const events = payload.events as Record<string, unknown> | undefined;
  if (!events || typeof events[LOGOUT_EVENT] !== 'object') throw new Error('logout token without the back-channel logout event');
  if ('nonce' in payload) throw new Error('logout token with a nonce');
  if (!payload.sub && !payload.sid) throw new Error('logout token with neither sub nor sid');
  if (expected.sid !== undefined && payload.sid !== expected.sid) throw new Error(`logout token sid ${String(payload.sid)} is not ${expected.sid}`);
  if (protectedHeader.typ !== 'logout+jwt') throw new Error(`logout token typ ${String(protectedHeader.typ)}`);
  return payload;
}
