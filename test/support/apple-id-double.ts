import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readBody, sendJson } from './http-double-io.ts';
import { exportJWK, jwtVerify, SignJWT } from 'jose';

export interface AppleUser {
  sub: string;
  email: string;
  firstName: string;
  lastName: string;
}

/**
 * A local server shaped like Sign in with Apple (appleid.apple.com):
 * - discovery and keys like Apple's;
 * - `/auth/authorize` answers only `response_mode=form_post`: a page whose form posts code and
 *   state back, plus the `user` field with the name at the first authorization of an app only;
 * - `/auth/token` takes a client secret that is an ES256 JWT signed with the team's key (kid,
 *   iss = team id, sub = service id, aud = https://appleid.apple.com), and answers an ID token
 *   whose `email_verified` is the string "true", as Apple's are.
 */
export class AppleIdDouble {
  signedInAs: AppleUser | undefined;
  /** Every client secret the token endpoint saw, and whether it verified. */
  readonly secrets: Array<{ valid: boolean; header?: Record<string, unknown>; claims?: Record<string, unknown> }> = [];
  readonly #server: Server;
  readonly #teamKey: KeyObject;
  readonly #signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
  readonly #codes = new Map<string, { challenge: string; nonce: string; clientId: string; user: AppleUser }>();
  readonly #authorized = new Set<string>();

  private constructor(server: Server, teamPublicKey: KeyObject) {
    this.#server = server;
    this.#teamKey = teamPublicKey;
    server.on('request', (request, response) => void this.#handle(request, response).catch(() => response.writeHead(500).end()));
  }

  /** `teamPublicKey`: the public half of the key the connection signs its client secrets with. */
  static async start(teamPublicKey: KeyObject): Promise<AppleIdDouble> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new AppleIdDouble(server, teamPublicKey);
  }

  get issuer(): string {
    return `http://127.0.0.1:${(this.#server.address() as { port: number }).port}`;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.issuer);
    if (url.pathname === '/.well-known/openid-configuration') {
      return sendJson(response, 200, {
        issuer: this.issuer,
        authorization_endpoint: `${this.issuer}/auth/authorize`,
        token_endpoint: `${this.issuer}/auth/token`,
        jwks_uri: `${this.issuer}/auth/keys`,
        response_types_supported: ['code'],
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid', 'email', 'name'],
        token_endpoint_auth_methods_supported: ['client_secret_post'],
      });
    }
    if (url.pathname === '/auth/keys') return sendJson(response, 200, { keys: [{ ...(await exportJWK(this.#signing.publicKey)), kid: 'apple-double', use: 'sig', alg: 'RS256' }] });
    if (url.pathname === '/auth/authorize') return this.#authorize(url, response);
    if (url.pathname === '/auth/token' && request.method === 'POST') return this.#token(new URLSearchParams(await readBody(request)), response);
    return sendJson(response, 404, { error: 'not_found' });
  }

  #authorize(url: URL, response: ServerResponse) {
    const params = url.searchParams;
    if (params.get('response_mode') !== 'form_post' || !this.signedInAs) return sendJson(response, 400, { error: 'invalid_request' });
    const user = this.signedInAs;
    const clientId = params.get('client_id') ?? '';
    const code = randomBytes(16).toString('hex');
    this.#codes.set(code, { challenge: params.get('code_challenge') ?? '', nonce: params.get('nonce') ?? '', clientId, user });
    const fields: Record<string, string> = { code, state: params.get('state') ?? '' };
    // The name comes once: at the first authorization of this app by this person.
    if (!this.#authorized.has(`${clientId}:${user.sub}`)) fields.user = JSON.stringify({ name: { firstName: user.firstName, lastName: user.lastName }, email: user.email });
    this.#authorized.add(`${clientId}:${user.sub}`);
    const inputs = Object.entries(fields).map(([name, value]) => `<input type="hidden" name="${name}" value="${value.replaceAll('&', '&amp;').replaceAll('"', '&quot;')}">`).join('');
    response.writeHead(200, { 'content-type': 'text/html' }).end(`<form method="post" action="${params.get('redirect_uri')}">${inputs}</form><script>document.forms[0].submit()</script>`);
  }

  async #token(form: URLSearchParams, response: ServerResponse) {
    const clientId = form.get('client_id') ?? '';
    try {
      const { payload, protectedHeader } = await jwtVerify(form.get('client_secret') ?? '', this.#teamKey, { algorithms: ['ES256'], audience: 'https://appleid.apple.com', subject: clientId });
      if (typeof protectedHeader.kid !== 'string' || typeof payload.iss !== 'string') throw new Error('kid and iss are needed');
      this.secrets.push({ valid: true, header: protectedHeader as Record<string, unknown>, claims: payload as Record<string, unknown> });
    } catch {
      this.secrets.push({ valid: false });
      return sendJson(response, 400, { error: 'invalid_client' });
    }
    const code = this.#codes.get(form.get('code') ?? '');
    this.#codes.delete(form.get('code') ?? '');
    if (!code || code.clientId !== clientId || createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url') !== code.challenge) return sendJson(response, 400, { error: 'invalid_grant' });
    const now = Math.floor(Date.now() / 1000);
    const idToken = await new SignJWT({ email: code.user.email, email_verified: 'true', is_private_email: 'false', nonce: code.nonce, auth_time: now, nonce_supported: true })
      .setProtectedHeader({ alg: 'RS256', kid: 'apple-double' })
      .setIssuer(this.issuer)
      .setAudience(clientId)
      .setSubject(code.user.sub)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(this.#signing.privateKey);
    return sendJson(response, 200, { access_token: randomBytes(16).toString('hex'), token_type: 'Bearer', expires_in: 3600, id_token: idToken });
  }
}
