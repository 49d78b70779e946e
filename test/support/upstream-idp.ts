import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { decodeJwt, SignJWT } from 'jose';
import Provider from 'oidc-provider';

export interface UpstreamAccount {
  sub: string;
  email: string;
  email_verified: boolean;
  given_name?: string;
  family_name?: string;
  locale?: string;
  /** Microsoft's tenant id claim, for the Microsoft preset's tenant check. */
  tid?: string;
  /** A workforce provider's groups (Entra ID's `groups` claim). */
  groups?: string[];
  name?: string;
}

/**
 * A second, real OpenID provider (oidc-provider) on 127.0.0.1 playing Google or a partner IdP.
 * Its customer is "already signed in there": the interaction page answers at once for
 * `signedInAs`, or refuses when `deny` is set. Everything else is oidc-provider as shipped: PKCE,
 * signed ID tokens, nonce, state.
 */
export class UpstreamIdp {
  signedInAs: UpstreamAccount | undefined;
  deny = false;
  /** Holds every token request this long before answering: an upstream that is slow, not down. */
  slowTokenMs = 0;
  /**
   * Spoils the ID token of every token response: signed with a key the upstream does not publish,
   * naming another issuer, or carrying another nonce (the last two signed with the real key).
   */
  tamper: 'signature' | 'issuer' | 'nonce' | undefined;
  /**
   * The person acts at the provider before it answers: its interaction page shows a "Continue"
   * button, and the answer goes back from that page's post (a navigation the provider's site starts).
   */
  askToContinue = false;
  readonly accounts = new Map<string, UpstreamAccount>();
  readonly #server: Server;
  readonly provider: Provider;

  private constructor(server: Server, provider: Provider) {
    this.#server = server;
    this.provider = provider;
  }

  /** `redirectUris`: Portvakt's callback URL of each connection that will use this provider; `port`: one chosen beforehand (a provider named in Portvakt's configuration). */
  static async start(redirectUris: string[], clientSecret: string, port = 0): Promise<UpstreamIdp> {
    const server = createServer();
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    let self: UpstreamIdp | undefined;
    const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const provider = new Provider(issuer, {
      clients: [{ client_id: 'portvakt', client_secret: clientSecret, redirect_uris: redirectUris, grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post' }],
      claims: { openid: ['sub', 'tid', 'groups'], email: ['email', 'email_verified'], profile: ['given_name', 'family_name', 'locale', 'name'] },
      conformIdTokenClaims: false,
      pkce: { required: () => true },
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      findAccount: async (_ctx, sub) => {
        const account = self?.accounts.get(sub);
        return account ? { accountId: sub, claims: async () => ({ ...account }) } : undefined;
      },
      cookies: { keys: ['upstream-test-cookie-key'] },
      jwks: { keys: [{ ...signingKey.export({ format: 'jwk' }), kid: 'upstream', use: 'sig', alg: 'RS256' } as never] },
    });
    const strangerKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const handle = provider.callback();
    server.on('request', (request, response) => {
      if (request.url?.startsWith('/token') && self?.slowTokenMs) {
        const timer = setTimeout(() => handle(request, response), self.slowTokenMs);
        response.on('close', () => clearTimeout(timer));
        return;
      }
      if (request.url?.startsWith('/token') && self?.tamper) return void handle(request, spoilIdToken(response, self.tamper, signingKey, strangerKey));
      if (!request.url?.startsWith('/interaction/')) return void handle(request, response);
      if (self?.askToContinue && request.method === 'GET') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return void response.end(`<!doctype html><html lang="en"><title>Upstream</title><form method="post" action="${request.url}"><button type="submit">Continue</button></form></html>`);
      }
      void (async () => {
        const details = await provider.interactionDetails(request, response);
        if (self?.deny || !self?.signedInAs) {
          await provider.interactionFinished(request, response, { error: 'access_denied', error_description: 'The user said no' }, { mergeWithLastSubmission: false });
          return;
        }
        const account = self.signedInAs;
        self.accounts.set(account.sub, account);
        const grant = new provider.Grant({ accountId: account.sub, clientId: String(details.params.client_id) });
        grant.addOIDCScope(String(details.params.scope));
        await provider.interactionFinished(request, response, { login: { accountId: account.sub }, consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: false });
      })().catch(() => response.writeHead(500).end());
    });
    self = new UpstreamIdp(server, provider);
    return self;
  }

  get issuer(): string {
    return this.provider.issuer;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** The response, with the ID token in its JSON body replaced by a spoiled one as it ends. */
function spoilIdToken(response: ServerResponse, how: 'signature' | 'issuer' | 'nonce', signingKey: KeyObject, strangerKey: KeyObject): ServerResponse {
  const end = response.end.bind(response);
  response.end = ((body?: unknown) => {
    void (async () => {
      const answer = JSON.parse(String(body)) as { id_token?: string };
      if (answer.id_token) {
        const claims = decodeJwt(answer.id_token);
        const spoiled = { ...claims, ...(how === 'issuer' ? { iss: 'http://127.0.0.1:1/someone-else' } : {}), ...(how === 'nonce' ? { nonce: 'another-sign-ins-nonce' } : {}) };
        answer.id_token = await new SignJWT(spoiled).setProtectedHeader({ alg: 'RS256', kid: 'upstream' }).sign(how === 'signature' ? strangerKey : signingKey);
      }
      const text = JSON.stringify(answer);
      response.setHeader('content-length', Buffer.byteLength(text));
      end(text);
    })();
    return response;
  }) as ServerResponse['end'];
  return response;
}
