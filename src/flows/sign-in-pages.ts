import type { FastifyInstance } from 'fastify';
import { consentDueRoutes } from './consent-due.routes.ts';
import { emailCodeRoutes } from './email-code.routes.ts';
import { interactionRoutes } from './interaction.routes.ts';
import { passkeyOfferRoutes, passkeySignInRoutes } from './passkey.routes.ts';
import { recoveryRoutes } from './recovery.routes.ts';
import { secondFactorRoutes } from './second-factor.routes.ts';
import { smsCodeRoutes } from './sms-code.routes.ts';

type Deps<T extends (app: FastifyInstance, deps: never) => unknown> = Parameters<T>[1];

export type SignInPageDeps = Deps<typeof interactionRoutes> &
  Deps<typeof emailCodeRoutes> &
  Deps<typeof recoveryRoutes> &
  Deps<typeof smsCodeRoutes> &
  Deps<typeof passkeySignInRoutes> &
  Deps<typeof passkeyOfferRoutes> &
  Deps<typeof consentDueRoutes> &
  Deps<typeof secondFactorRoutes>;

/** The hosted pages of an OIDC interaction (`/login/:uid/…`): every way to sign in or sign up, second factors, choices due. */
export function signInPages(pages: FastifyInstance, deps: SignInPageDeps): void {
  interactionRoutes(pages, deps);
  emailCodeRoutes(pages, deps);
  recoveryRoutes(pages, deps);
  smsCodeRoutes(pages, deps);
  passkeySignInRoutes(pages, deps);
  passkeyOfferRoutes(pages, deps);
  secondFactorRoutes(pages, deps);
  consentDueRoutes(pages, deps);
}
