import type { FastifyInstance } from 'fastify';
import type { FastifyRequest } from 'fastify';
import { pageContextFor, sendPage } from '../http/page-reply.ts';
import { markLimited } from '../ops/limiter-mark.ts';
import { clientNetwork } from '../credentials/client-address.ts';
import { sendRateHeaders, type RateLimit } from '../http/rate-limit.ts';
import { messagePage } from '../pages/message.page.ts';
import type { DeviceCodeGuesses } from './device-code-guesses.ts';
import type { DevicePolling } from './device-polling.ts';
import type { ProviderHost } from './provider-host.ts';

/**
 * The protocol endpoints belong to oidc-provider. They are registered as explicit Fastify routes
 * (so metrics and 404s stay ours) in a scope without body parsers: oidc-provider reads the raw
 * request itself. Paths are oidc-provider's defaults; the issuer is at the root.
 */
const PROVIDER_ROUTES: Array<{ url: string; methods: Array<'GET' | 'POST' | 'OPTIONS'> }> = [
  { url: '/.well-known/openid-configuration', methods: ['GET', 'OPTIONS'] },
  { url: '/auth', methods: ['GET', 'POST'] },
  { url: '/auth/:uid', methods: ['GET'] },
  { url: '/token', methods: ['POST', 'OPTIONS'] },
  { url: '/me', methods: ['GET', 'POST', 'OPTIONS'] },
  { url: '/jwks', methods: ['GET', 'OPTIONS'] },
  { url: '/request', methods: ['POST', 'OPTIONS'] },
  { url: '/token/introspection', methods: ['POST', 'OPTIONS'] },
  { url: '/token/revocation', methods: ['POST', 'OPTIONS'] },
  { url: '/session/end', methods: ['GET', 'POST'] },
  { url: '/session/end/confirm', methods: ['POST'] },
  { url: '/session/end/success', methods: ['GET'] },
  // Device authorization grant (RFC 8628): the device asks here, the customer types the code at /device.
  { url: '/device/auth', methods: ['POST', 'OPTIONS'] },
  { url: '/device', methods: ['GET', 'POST'] },
  { url: '/device/:uid', methods: ['GET'] },
];

/** Back-channel endpoints a client calls with its credentials: limited per client_id. */
const PER_CLIENT = new Set(['/token', '/token/introspection', '/token/revocation', '/request', '/device/auth']);
/** oidc-provider's browser session cookie (its default name). */
const SESSION_COOKIE = /(^|;\s*)_session=/;

/** Device-flow steps that continue what GET /device began in the same browser session. */
const needsDeviceSession = (url: string, method: string) => (url === '/device' && method === 'POST') || url === '/device/:uid';

/**
 * Discovery changes only with a release or configuration; the JWKS changes at a key rotation,
 * when the new key signs at once and the old one stays published: a relying party that meets an
 * unknown `kid` fetches again (openid-client and jose do), and a shared cache in front keeps a
 * copy no longer than a node takes to see the rotation (KEY_REFRESH_SECONDS, 60 by default).
 */
const PUBLIC_DOCUMENTS: Record<string, string> = {
  '/.well-known/openid-configuration': 'public, max-age=300',
  '/jwks': 'public, max-age=60',
};

/**
 * oidc-provider builds every absolute URL (discovery's endpoints, the forms it draws, redirects)
 * from the request's scheme and host. It gets the issuer's, whatever the Host or X-Forwarded-*
 * headers say: those are the sender's to choose. The client address is the one Fastify worked
 * out under TRUST_PROXY, so oidc-provider (which trusts X-Forwarded-* throughout) sees nothing
 * an untrusted sender wrote.
 */
function pinToIssuer(request: FastifyRequest, issuer: URL): void {
  const headers = request.raw.headers;
  delete headers.forwarded;
  headers.host = issuer.host;
  headers['x-forwarded-host'] = issuer.host;
  headers['x-forwarded-proto'] = issuer.protocol.slice(0, -1);
  headers['x-forwarded-for'] = request.ip;
}

/** oidc-provider's own limit for a form body. */
const FORM_LIMIT = 56 * 1024;

/**
 * The counter of a back-channel request: the client it names (HTTP Basic for client_secret_basic,
 * else the form's client_id) together with the caller's network. The name is not yet
 * authenticated here (oidc-provider does that), so counting per name alone would let anyone use
 * up a real client's budget with bogus requests; per name and network, they use up only their own.
 */
function clientKey(request: FastifyRequest): string {
  const network = clientNetwork(request.ip);
  const basic = /^Basic ([A-Za-z0-9+/=]{1,4096})$/i.exec(request.headers.authorization ?? '');
  let clientId: string | null = null;
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    try {
      clientId = decodeURIComponent(decoded.slice(0, Math.max(0, decoded.indexOf(':'))));
    } catch {
      clientId = null;
    }
  } else {
    const body = (request.raw as { body?: Buffer }).body;
    clientId = body ? new URLSearchParams(body.toString('utf8')).get('client_id') : null;
  }
  return `${clientId ? clientId.slice(0, 256) : '-'}|${network}`;
}

export async function providerRoutes(app: FastifyInstance, host: ProviderHost, guesses: DeviceCodeGuesses, perClient: RateLimit, polling: DevicePolling): Promise<void> {
  app.removeAllContentTypeParsers();
  // Form bodies are read here (so the per-client limit can see client_id) and handed to
  // oidc-provider as the raw request's body, which it accepts in place of reading the stream
  // (it says so once per process: "already parsed request body detected", expected here).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer', bodyLimit: FORM_LIMIT }, (request, body, done) => {
    (request.raw as { body?: Buffer }).body = body as Buffer;
    done(null, body);
  });
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  for (const { url, methods } of PROVIDER_ROUTES) {
    app.route({
      method: methods,
      url,
      handler: async (request, reply) => {
        if (needsDeviceSession(url, request.method) && !SESSION_COOKIE.test(request.headers.cookie ?? '')) {
          // Without the browser session the device step cannot go on; oidc-provider would fail
          // saving a session it never stored (a 500), so the customer is told to start again.
          const page = pageContextFor(request);
          return sendPage(reply, 400, messagePage(page, page.t('device.title'), page.t('device.error.other')));
        }
        if (url === '/device' && request.method === 'POST') {
          // RFC 8628 §5.1: every code typed counts first; a network past its guesses waits.
          const decision = await guesses.typed(request.ip);
          if (!decision.allowed) {
            markLimited(reply, 'device_code');
            const page = pageContextFor(request);
            return sendPage(reply.header('retry-after', String(decision.retryAfterSeconds)), 429, messagePage(page, page.t('device.title'), page.t('device.error.too_many', { seconds: decision.retryAfterSeconds })));
          }
        }
        if (request.method === 'POST' && PER_CLIENT.has(url)) {
          const decision = await perClient.take(clientKey(request));
          if (decision) sendRateHeaders(reply, decision);
          if (decision && !decision.allowed) {
            markLimited(reply, 'client');
            return reply.code(429).send({ error: 'rate_limited', error_description: `Too many requests for this client; try again in ${decision.resetSeconds} seconds` });
          }
        }
        if (url === '/token' && request.method === 'POST') {
          // RFC 8628 §3.5: a device polling faster than its interval is told to slow down.
          const interval = await polling.tooSoon(host.current, (request.raw as { body?: Buffer }).body);
          if (interval !== undefined) {
            return reply.code(400).send({ error: 'slow_down', error_description: `Poll no more often than every ${interval} seconds` });
          }
        }
        const cacheable = PUBLIC_DOCUMENTS[url];
        if (cacheable) reply.raw.setHeader('cache-control', cacheable);
        pinToIssuer(request, new URL(host.current.issuer));
        reply.hijack();
        await host.callback(request.raw, reply.raw);
      },
    });
  }
}
