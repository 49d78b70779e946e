import type { FastifyInstance } from 'fastify';
import { pageContextFor, sendPage } from '../http/page-reply.ts';
import { messagePage } from '../pages/message.page.ts';
import type { DeviceCodeGuesses } from './device-code-guesses.ts';
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

export async function providerRoutes(app: FastifyInstance, host: ProviderHost, guesses: DeviceCodeGuesses): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  for (const { url, methods } of PROVIDER_ROUTES) {
    app.route({
      method: methods,
      url,
      handler: async (request, reply) => {
        if (url === '/device' && request.method === 'POST') {
          // RFC 8628 §5.1: every code typed counts first; a network past its guesses waits.
          const decision = await guesses.typed(request.ip);
          if (!decision.allowed) {
            const page = pageContextFor(request);
            return sendPage(reply.header('retry-after', String(decision.retryAfterSeconds)), 429, messagePage(page, page.t('device.title'), page.t('device.error.too_many', { seconds: decision.retryAfterSeconds })));
          }
        }
        reply.hijack();
        await host.callback(request.raw, reply.raw);
      },
    });
  }
}
