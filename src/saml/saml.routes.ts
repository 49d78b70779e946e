import { createHash } from 'node:crypto';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { CustomerReferences } from '../customers/customer-references.ts';
import type { CustomerRecord } from '../customers/customer-store.ts';
import { pageContextFor, seeOther, sendPage } from '../http/page-reply.ts';
import type { ProviderHost } from '../oidc/provider-host.ts';
import { samlPostPage } from '../pages/saml-post.page.ts';
import { releasedAttributes } from './attribute-release.ts';
import { challengeOf, type PendingSamlRequest, type SamlIdentityProvider } from './identity-provider.ts';
import { SAML_CONTINUE_PATH, scopeOf } from './saml-client.ts';
import { MAX_ENCODED_CHARS, samlRefusal } from './saml-messages.ts';
import type { ServiceProviderRecord } from './service-provider-store.ts';

export interface SamlRouteDeps {
  issuer: string;
  idp: SamlIdentityProvider;
  host: ProviderHost;
  findCustomer: (id: string) => Promise<CustomerRecord | undefined>;
  references: Pick<CustomerReferences, 'list'>;
}

/** The POST binding's form: SAMLRequest (bounded) and RelayState; the body limit says the same. */
const POST_BODY_LIMIT = MAX_ENCODED_CHARS + 4096;
const initiateQuery = z.looseObject({ sp: z.string().min(1).max(1024), RelayState: z.string().max(1024).optional() });
const continueQuery = z.looseObject({ state: z.string().max(100), code: z.string().max(500).optional(), error: z.string().max(100).optional() });

/**
 * Portvakt as a SAML IdP for the browser: `/saml/metadata`, `/saml/sso` (HTTP-Redirect and
 * HTTP-POST), `/saml/sso/initiate?sp=<entity id>` (IdP-initiated), and `/saml/continue`, where the
 * internal OpenID sign-in of the SP's built-in client comes back and the signed response leaves
 * for the ACS. Refusals are the localized error page with the stable code (error-handler.ts).
 */
export async function samlRoutes(app: FastifyInstance, deps: SamlRouteDeps): Promise<void> {
  const { idp } = deps;
  app.get('/saml/metadata', async (_request, reply) => reply.type('application/samlmetadata+xml; charset=utf-8').header('cache-control', 'public, max-age=3600').send(await idp.metadata()));

  app.get('/saml/sso', async (request, reply) => {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const received = await idp.receive('redirect', query, signedOctets(request.raw.url ?? ''));
    return toSignIn(request, reply, deps.issuer, received);
  });

  await app.register(async (posted) => {
    posted.removeAllContentTypeParsers();
    await posted.register(fastifyFormbody, { bodyLimit: POST_BODY_LIMIT });
    posted.post('/saml/sso', async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      return toSignIn(request, reply, deps.issuer, await idp.receive('post', body));
    });
  });

  app.get('/saml/sso/initiate', async (request, reply) => {
    const query = initiateQuery.safeParse(request.query ?? {});
    if (!query.success) throw samlRefusal('saml_unknown_sp', 'Name the service provider by its entity id: ?sp=');
    return toSignIn(request, reply, deps.issuer, await idp.initiate(query.data.sp, query.data.RelayState));
  });

  app.get(SAML_CONTINUE_PATH, async (request, reply) => {
    const query = continueQuery.safeParse(request.query ?? {});
    const pending = query.success ? await idp.take(query.data.state) : undefined;
    if (!query.success || !pending) throw samlRefusal('saml_sign_in_expired', 'The SAML sign-in expired or was already finished');
    if (query.data.error || !query.data.code) throw samlRefusal('saml_access_denied', 'The sign-in was cancelled', 403);
    const subject = await signedIn(deps, pending, query.data.code);
    const post = await idp.respond(pending, subject.subject);
    return sendPage(reply, 200, samlPostPage(pageContextFor(request), { ...post, serviceName: subject.serviceName }));
  });
}

/** The validated request, kept under its handle, continues as the SP's internal OpenID authorization request. */
function toSignIn(request: FastifyRequest, reply: FastifyReply, issuer: string, received: { handle: string; pending: PendingSamlRequest; sp: ServiceProviderRecord }) {
  const params = new URLSearchParams({
    client_id: received.sp.id,
    response_type: 'code',
    scope: scopeOf(received.sp.attributes),
    redirect_uri: `${issuer}${SAML_CONTINUE_PATH}`,
    state: received.handle,
    code_challenge: challengeOf(received.pending.verifier),
    code_challenge_method: 'S256',
    ui_locales: pageContextFor(request).locale,
    ...(received.pending.forceAuthn ? { max_age: '0' } : {}),
  });
  return seeOther(reply, `/auth?${params}`);
}

/**
 * The authorization code of the SP's built-in client, checked (its client, its PKCE verifier, not
 * used, not expired) and used up: whose sign-in it was, and what they granted.
 */
async function signedIn(deps: SamlRouteDeps, pending: PendingSamlRequest, value: string) {
  const code = await deps.host.current.AuthorizationCode.find(value);
  const expired = () => samlRefusal('saml_sign_in_expired', 'The SAML sign-in expired or was already finished');
  if (!code || (code as { consumed?: unknown }).consumed || code.clientId !== pending.serviceProvider || code.codeChallenge !== challengeOf(pending.verifier) || !code.accountId) throw expired();
  await code.consume();
  const customer = await deps.findCustomer(code.accountId);
  if (!customer || customer.status !== 'active') throw expired();
  const client = await deps.host.current.Client.find(pending.serviceProvider);
  const sp = await deps.idp.serviceProvider(pending.serviceProvider);
  if (!client || !sp) throw samlRefusal('saml_unknown_sp', 'The service provider is no longer registered');
  const references = sp.attributes.some((attribute) => attribute.startsWith('references.')) ? await deps.references.list(customer.id) : [];
  const sessionIndex = createHash('sha256').update(`${code.sessionUid ?? code.grantId}\n${sp.id}`).digest('base64url').slice(0, 32);
  return {
    serviceName: sp.name,
    subject: { customerId: customer.id, email: customer.email, authTime: code.authTime ?? Math.floor(Date.now() / 1000), sessionIndex, attributes: releasedAttributes(sp.attributes, String(code.scope ?? ''), customer, references) },
  };
}

/**
 * The signed part of an HTTP-Redirect binding's query, as the SP sent it (SAML bindings §3.4.4.1):
 * SAMLRequest, RelayState and SigAlg in that order, still URL-encoded.
 */
function signedOctets(url: string): string | undefined {
  const raw = new Map(
    (url.split('?')[1] ?? '').split('&').map((pair) => {
      const at = pair.indexOf('=');
      return [at < 0 ? pair : pair.slice(0, at), pair] as const;
    }),
  );
  if (!raw.has('Signature')) return undefined;
  return ['SAMLRequest', 'RelayState', 'SigAlg'].flatMap((name) => (raw.has(name) ? [raw.get(name)!] : [])).join('&');
}
