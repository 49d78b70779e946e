import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/load-config.ts';
import { afterSignIn } from '../flows/after-sign-in/steps.ts';
import { AccountSteps } from '../http/account-step.ts';
import { CsrfGuard } from '../http/csrf.ts';
import { InteractionContext } from '../http/interaction-context.ts';
import { PageSteps } from '../http/page-step.ts';
import { SignInContinuation } from '../http/sign-in-continuation.ts';
import { buildCredentialServices, type CredentialServices } from './credential-services.ts';
import { registerCustomerDataOwners } from './customer-data-owners.ts';
import { buildCustomerDomain, type CustomerDomain } from './customer-domain.ts';
import { buildImportServices, type ImportServices } from './customer-import-services.ts';
import { openInfrastructure, type Infrastructure } from './infrastructure.ts';
import { startProtocol, type Protocol } from './protocol.ts';
import { buildOperatorServices, type OperatorServices } from './operator-services.ts';
import { buildSaml, type SamlServices } from './saml.ts';
import { buildSelfService, type SelfService } from './self-service.ts';

/** What the hosted pages share: CSRF, the interaction behind each page, the steps after sign-in, the sign-in steps' and account pages' helpers. */
export interface PageServices {
  csrf: CsrfGuard;
  interactions: InteractionContext;
  continuation: SignInContinuation;
  steps: PageSteps;
  accountSteps: AccountSteps;
}

/**
 * Every service, built once, in one typed container: infrastructure, then the customer domain,
 * credentials, self-service, the protocol (which needs them all), and what the pages share.
 * The mount functions (`hosted-pages.ts`, `management-api.ts`, `protocol.ts`) take what they need from it.
 */
export type Services = Infrastructure & CustomerDomain & CredentialServices & SelfService & ImportServices & OperatorServices & Protocol & SamlServices & PageServices;

export async function buildServices(config: Config, log: FastifyBaseLogger): Promise<Services> {
  const infra = await openInfrastructure(config, log);
  const domain = buildCustomerDomain(infra);
  const credentials = buildCredentialServices(infra, domain);
  const self = buildSelfService(infra, domain, credentials);
  registerCustomerDataOwners({ ...infra, ...domain, ...credentials, ...self });
  const imports = buildImportServices(infra, domain, self);
  const operators = buildOperatorServices(infra, domain, credentials, self);
  const protocol = await startProtocol(infra, domain, credentials, self);
  const saml = buildSaml(infra, domain, self.privacy.dataMap);
  const pages = buildPageServices({ ...infra, ...domain, ...credentials, ...self, ...imports, ...operators, ...protocol, ...saml });
  return { ...infra, ...domain, ...credentials, ...self, ...imports, ...operators, ...protocol, ...saml, ...pages };
}

function buildPageServices(services: Omit<Services, keyof PageServices>): PageServices {
  const { config, brands, flows, federation, profile } = services;
  const csrf = new CsrfGuard(config.issuer);
  const interactions = new InteractionContext(services.host, async (key) => {
    const brand = await brands.find(key);
    return brand && { key: brand.key, name: brand.name, version: brand.version, hasLogo: brand.hasLogo, sender: brand.sender, templates: brand.templates };
  });
  const steps = afterSignIn({ ...services, links: federation.links, profileDueKeys: profile.dueKeys });
  return { csrf, interactions, continuation: new SignInContinuation(interactions, steps), steps: new PageSteps({ interactions, flows, csrf }), accountSteps: new AccountSteps({ host: services.host, customers: services.customers, csrf }) };
}
