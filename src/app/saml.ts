import { SamlIdentityProvider } from '../saml/identity-provider.ts';
import { SamlRequestIds } from '../saml/saml-request-ids.ts';
import { SamlSigningKeyStore } from '../saml/saml-signing-key.ts';
import { ServiceProviders } from '../saml/service-providers.ts';
import type { DataMap } from '../privacy/data-map.ts';
import { samlRecipients } from '../saml/data-recipients.ts';
import type { CustomerDomain } from './customer-domain.ts';
import type { Infrastructure } from './infrastructure.ts';

export interface SamlServices {
  samlIdp: SamlIdentityProvider;
  serviceProviders: ServiceProviders;
}

/** Portvakt as a SAML identity provider: the registered service providers, the signing key, the requests in flight. */
export function buildSaml(infra: Infrastructure, domain: CustomerDomain, dataMap: DataMap): SamlServices {
  const { config, store } = infra;
  // What each SP's attribute release sends it is on the data map, beside the stores.
  dataMap.addRecipients(() => samlRecipients(domain.serviceProviderStore));
  return {
    samlIdp: new SamlIdentityProvider({
      issuer: config.issuer,
      keys: new SamlSigningKeyStore(store.db, config.secrets.sealing('signing-key-encryption'), config.issuer),
      providers: domain.serviceProviderStore,
      requestIds: new SamlRequestIds(store.db),
      // The validated requests waiting for the sign-in: beside the OpenID interactions, on every node.
      pending: infra.artifacts.adapter('SamlRequest'),
      nameIdKey: config.secrets.hashing('saml-name-id'),
    }),
    serviceProviders: new ServiceProviders({ store: domain.serviceProviderStore, audit: domain.audit, issuer: config.issuer, production: config.production }),
  };
}
