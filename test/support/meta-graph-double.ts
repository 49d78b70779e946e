import { createHash, createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readBody, sendJson } from './http-double-io.ts';

export interface MetaUser {
  id: string;
  name: string;
  email?: string;
  first_name?: string;
  last_name?: string;
}

/**
 * A local HTTP server shaped like Facebook Login and the Graph API, for the Meta preset:
 * - `GET /v21.0/dialog/oauth`: the login dialog; the person is already signed in as `signedInAs`
 *   and says yes (or no, with `deny`): back to `redirect_uri` with a code (PKCE S256 remembered);
 * - `POST /v21.0/oauth/access_token`: the code for an access token, checking the app secret,
 *   the redirect URI and the PKCE verifier, like Meta;
 * - `GET /v21.0/me?fields=…&appsecret_proof=…`: the user, only with a bearer token and the
 *   right proof (HMAC-SHA256 of the token under the app secret), else Meta's error shape.
 */
export class MetaGraphDouble {
  signedInAs: MetaUser | undefined;
  deny = false;
  /** Every /me call, with whether its appsecret_proof was right. */
  readonly meCalls: Array<{ fields: string | null; proofValid: boolean }> = [];
  readonly #server: Server;
  readonly #appId: string;
  readonly #appSecret: string;
  readonly #codes = new Map<string, { challenge: string; redirectUri: string; user: MetaUser }>();
  readonly #tokens = new Map<string, MetaUser>();

  private constructor(server: Server, appId: string, appSecret: string) {
    this.#server = server;
    this.#appId = appId;
    this.#appSecret = appSecret;
    server.on('request', (request, response) => void this.#handle(request, response).catch(() => response.writeHead(500).end()));
  }

  static async start(appId: string, appSecret: string): Promise<MetaGraphDouble> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new MetaGraphDouble(server, appId, appSecret);
  }

  get base(): string {
    return `http://127.0.0.1:${(this.#server.address() as { port: number }).port}/v21.0`;
  }

  get endpoints() {
    return { authorization: `${this.base}/dialog/oauth`, token: `${this.base}/oauth/access_token`, me: `${this.base}/me` };
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.base);
    if (request.method === 'GET' && url.pathname === '/v21.0/dialog/oauth') return this.#dialog(url, response);
    if (request.method === 'POST' && url.pathname === '/v21.0/oauth/access_token') return this.#token(new URLSearchParams(await readBody(request)), response);
    if (request.method === 'GET' && url.pathname === '/v21.0/me') return this.#me(url, request.headers.authorization, response);
    return sendJson(response, 404, { error: { message: 'Unknown path', type: 'OAuthException', code: 803 } });
  }

  #dialog(url: URL, response: ServerResponse) {
    const redirect = new URL(url.searchParams.get('redirect_uri') ?? '');
    redirect.searchParams.set('state', url.searchParams.get('state') ?? '');
    if (url.searchParams.get('client_id') !== this.#appId || url.searchParams.get('code_challenge_method') !== 'S256') return sendJson(response, 400, { error: { message: 'Invalid dialog request', type: 'OAuthException', code: 191 } });
    if (this.deny || !this.signedInAs) {
      redirect.searchParams.set('error', 'access_denied');
      redirect.searchParams.set('error_reason', 'user_denied');
      redirect.searchParams.set('error_description', 'Permissions error');
    } else {
      const code = randomBytes(16).toString('hex');
      this.#codes.set(code, { challenge: url.searchParams.get('code_challenge') ?? '', redirectUri: url.searchParams.get('redirect_uri') ?? '', user: this.signedInAs });
      redirect.searchParams.set('code', code);
    }
    response.writeHead(302, { location: redirect.toString() }).end();
  }

  #token(form: URLSearchParams, response: ServerResponse) {
    const code = this.#codes.get(form.get('code') ?? '');
    this.#codes.delete(form.get('code') ?? '');
    const verifier = form.get('code_verifier') ?? '';
    if (form.get('client_id') !== this.#appId || form.get('client_secret') !== this.#appSecret) return sendJson(response, 400, { error: { message: 'Error validating client secret.', type: 'OAuthException', code: 1 } });
    if (!code || code.redirectUri !== form.get('redirect_uri') || createHash('sha256').update(verifier).digest('base64url') !== code.challenge) {
      return sendJson(response, 400, { error: { message: 'Invalid verification code format.', type: 'OAuthException', code: 100 } });
    }
    const token = randomBytes(24).toString('base64url');
    this.#tokens.set(token, code.user);
    return sendJson(response, 200, { access_token: token, token_type: 'bearer', expires_in: 5183944 });
  }

  #me(url: URL, authorization: string | undefined, response: ServerResponse) {
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '';
    const user = this.#tokens.get(token);
    const proof = createHmac('sha256', this.#appSecret).update(token).digest('hex');
    const proofValid = url.searchParams.get('appsecret_proof') === proof;
    this.meCalls.push({ fields: url.searchParams.get('fields'), proofValid });
    if (!user) return sendJson(response, 401, { error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190 } });
    if (!proofValid) return sendJson(response, 400, { error: { message: 'Invalid appsecret_proof provided in the API argument', type: 'GraphMethodException', code: 100 } });
    const fields = (url.searchParams.get('fields') ?? 'id,name').split(',');
    const full: Record<string, unknown> = { ...user, picture: { data: { url: `${this.base}/picture/${user.id}.jpg`, width: 50, height: 50 } } };
    return sendJson(response, 200, Object.fromEntries(fields.filter((field) => field in full).map((field) => [field, full[field]])));
  }
}
