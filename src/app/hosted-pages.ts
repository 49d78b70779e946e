import { emailChangeRoutes } from '../account/email-change.routes.ts';
import { passwordPageRoutes } from '../account/password.routes.ts';
import { readFileSync } from 'node:fs';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import { accountRoutes } from '../account/account.routes.ts';
import { connectionPageRoutes } from '../account/connections.routes.ts';
import { consentPageRoutes } from '../account/consents.routes.ts';
import { emailVerificationRoutes } from '../account/email-verification.routes.ts';
import { phoneRoutes } from '../account/phone.routes.ts';
import { profilePageRoutes } from '../account/profile.routes.ts';
import { privacyPageRoutes } from '../account/privacy.routes.ts';
import { personalizationPageRoutes } from '../account/personalization.routes.ts';
import { memberCodeRoutes } from '../account/member.routes.ts';
import { verificationPageRoutes } from '../account/verifications.routes.ts';
import { brandAssetRoutes } from '../brands/brand.routes.ts';
import { upstreamRoutes } from '../federation/upstream.routes.ts';
import { brandNoticeRoutes } from '../flows/brand-notice.routes.ts';
import { consentDueRoutes } from '../flows/consent-due.routes.ts';
import { emailCodeRoutes } from '../flows/email-code.routes.ts';
import { interactionRoutes } from '../flows/interaction.routes.ts';
import { passkeyOfferRoutes, passkeySignInRoutes } from '../flows/passkey.routes.ts';
import { profileDueRoutes } from '../flows/profile-due.routes.ts';
import { recoveryRoutes } from '../flows/recovery.routes.ts';
import { secondFactorRoutes } from '../flows/second-factor.routes.ts';
import { smsCodeRoutes } from '../flows/sms-code.routes.ts';
import type { LoadedInteraction } from '../http/interaction-context.ts';
import { devOutboxRoutes } from '../messaging/dev-outbox.routes.ts';
import { samlRoutes } from '../saml/saml.routes.ts';
import type { Services } from './services.ts';

const FORM_BODY_LIMIT = 16 * 1024;
const stylesheet = readFileSync(new URL('../pages/assets/portvakt.css', import.meta.url));
const passkeyScript = readFileSync(new URL('../pages/assets/passkeys.js', import.meta.url));
const memberCodeScript = readFileSync(new URL('../pages/assets/member-code.js', import.meta.url));

/** What a person's browser sees: the stylesheet and script, the sign-in pages (`/login/…`), the account (`/account/…`), SAML sign-in (`/saml/…`), brand assets. */
export async function mountHostedPages(app: FastifyInstance, services: Services): Promise<void> {
  app.get('/assets/portvakt.css', async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(stylesheet));
  app.get('/assets/passkeys.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(passkeyScript));
  app.get('/assets/member-code.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(memberCodeScript));
  await app.register(async (pages) => {
    pages.removeAllContentTypeParsers();
    await pages.register(fastifyFormbody, { bodyLimit: FORM_BODY_LIMIT });
    mountSignInPages(pages, services);
    mountAccountPages(pages, services);
  });
  // SAML service providers' sign-in: the same hosted sign-in through each one's built-in OpenID client.
  await app.register(async (saml) => samlRoutes(saml, { issuer: services.config.issuer, idp: services.samlIdp, host: services.host, findCustomer: (id) => services.customerStore.findById(id), references: services.privacy.references }));
  if (services.messaging.devOutbox) devOutboxRoutes(app, services.messaging.devOutbox);
  brandAssetRoutes(app, services.brands);
}

/** The pages of an OIDC interaction (`/login/:uid/…`): every way to sign in or sign up, then the steps after sign-in. */
function mountSignInPages(pages: FastifyInstance, services: Services): void {
  const { config, federation, profile, guests } = services;
  const upstreams = (loaded: LoadedInteraction) => federation.offeredTo(String(loaded.details.params.client_id), loaded.brand);
  const deps = { ...services, passwordMinLength: config.passwordMinLength, upstreams, guestFor: (token: unknown) => guests.byToken(token) };
  interactionRoutes(pages, deps);
  emailCodeRoutes(pages, deps);
  recoveryRoutes(pages, deps);
  smsCodeRoutes(pages, deps);
  passkeySignInRoutes(pages, deps);
  passkeyOfferRoutes(pages, deps);
  upstreamRoutes(pages, { ...deps, upstream: federation.upstream, connections: federation.connections, tests: federation.tests, links: federation.links });
  secondFactorRoutes(pages, deps);
  consentDueRoutes(pages, deps);
  profileDueRoutes(pages, { ...deps, schema: profile.schema, attributes: profile.attributes });
  brandNoticeRoutes(pages, deps);
}

/** The customer's own pages (`/account/…`): security, sessions, phone, e-mail, connected accounts, choices, and their data. */
function mountAccountPages(pages: FastifyInstance, services: Services): void {
  const { privacy } = services;
  const deps = { ...services, issuer: services.config.issuer, links: services.federation.links, verifications: services.callerVerifications, systems: privacy.systems, dataMap: privacy.dataMap, requests: privacy.requests, exports: privacy.exports };
  accountRoutes(pages, deps);
  emailVerificationRoutes(pages, deps);
  phoneRoutes(pages, deps);
  consentPageRoutes(pages, deps);
  connectionPageRoutes(pages, deps);
  verificationPageRoutes(pages, deps);
  privacyPageRoutes(pages, deps);
  personalizationPageRoutes(pages, deps);
  memberCodeRoutes(pages, { ...deps, codes: deps.inStore.codes });
  profilePageRoutes(pages, { ...deps, schema: services.profile.schema, attributes: services.profile.attributes });
  passwordPageRoutes(pages, { ...deps, passwordMinLength: services.config.passwordMinLength });
  emailChangeRoutes(pages, deps);
}
