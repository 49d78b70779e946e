import type { FastifyInstance } from 'fastify';
import { accountRoutes } from './account.routes.ts';
import { connectionPageRoutes } from './connections.routes.ts';
import { verificationPageRoutes } from './verifications.routes.ts';
import { consentPageRoutes } from './consents.routes.ts';
import { emailVerificationRoutes } from './email-verification.routes.ts';
import { phoneRoutes } from './phone.routes.ts';
import { privacyPageRoutes } from './privacy.routes.ts';

type Deps<T extends (app: FastifyInstance, deps: never) => unknown> = Parameters<T>[1];

export type AccountPageDeps = Deps<typeof accountRoutes> &
  Deps<typeof emailVerificationRoutes> &
  Deps<typeof phoneRoutes> &
  Deps<typeof consentPageRoutes> &
  Deps<typeof connectionPageRoutes> &
  Deps<typeof verificationPageRoutes> &
  Deps<typeof privacyPageRoutes>;

/** The customer's own pages (`/account/…`): security, sessions, phone, e-mail, connected accounts, choices, and their data. */
export function accountPages(pages: FastifyInstance, deps: AccountPageDeps): void {
  accountRoutes(pages, deps);
  emailVerificationRoutes(pages, deps);
  phoneRoutes(pages, deps);
  consentPageRoutes(pages, deps);
  connectionPageRoutes(pages, deps);
  verificationPageRoutes(pages, deps);
  privacyPageRoutes(pages, deps);
}
