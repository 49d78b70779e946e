import { EmailChange } from '../account/email-change.ts';
import { PasswordChange } from '../account/password-change.ts';
import { CustomerSessions } from '../account/customer-sessions.ts';
import { PhoneVerification } from '../account/phone-verification.ts';
import { SecurityNotices } from '../account/security-notices.ts';
import { CodeDelivery } from '../credentials/code-delivery.ts';
import { DEFAULT_POOL } from '../customers/customers.ts';
import { CallerVerifications } from '../customer-service/caller-verifications.ts';
import { CustomerTimeline } from '../customer-service/customer-timeline.ts';
import { buildFederation, type Federation } from '../federation/federation-services.ts';
import { EmailCodeSignIn } from '../flows/email-code-sign-in.ts';
import { EmailVerification } from '../flows/email-verification.ts';
import { PasswordRecovery } from '../flows/password-recovery.ts';
import { SmsCodeSignIn } from '../flows/sms-code-sign-in.ts';
import { buildMessaging, type Messaging } from '../messaging/messaging.ts';
import { InteractionFlowStore } from '../oidc/interaction-flows.ts';
import { TTL } from '../oidc/provider.ts';
import { buildPrivacy, type Privacy } from '../privacy/privacy-services.ts';
import { MemberCodes } from '../in-store/member-codes.ts';
import { releasedCategories, Stores } from '../in-store/stores.ts';
import { Till, type TillDeps } from '../in-store/till.ts';
import type { DataMap } from '../privacy/data-map.ts';
import { Personalization } from '../personalization/personalization.ts';
import { Segments } from '../personalization/segments.ts';
import { Signals } from '../personalization/signals.ts';
import type { CredentialServices } from './credential-services.ts';
import type { CustomerDomain } from './customer-domain.ts';
import type { Infrastructure } from './infrastructure.ts';

/** What a customer (or customer service for them) does: sign in by code, recover, verify, link identities, ask for their data. */
export interface SelfService {
  messaging: Messaging;
  flows: InteractionFlowStore;
  delivery: CodeDelivery;
  emailCode: EmailCodeSignIn;
  recovery: PasswordRecovery;
  smsCode: SmsCodeSignIn;
  verification: EmailVerification;
  phones: PhoneVerification;
  notices: SecurityNotices;
  sessions: CustomerSessions;
  passwordChange: PasswordChange;
  emailChange: EmailChange;
  federation: Federation;
  privacy: Privacy;
  callerVerifications: CallerVerifications;
  timeline: CustomerTimeline;
  personalization: Personalization;
  inStore: InStore;
}

/** The stores, the member codes customers show at their tills, and the tills themselves. */
export interface InStore {
  stores: Stores;
  codes: MemberCodes;
  till: Till;
}

export function buildSelfService(infra: Infrastructure, domain: CustomerDomain, credentials: CredentialServices): SelfService {
  const { config, store, log } = infra;
  const { customers, audit } = domain;
  const messaging = buildMessaging(config, store.db, log);
  const flows = new InteractionFlowStore(store.db, TTL.Interaction * 1000);
  const brand = { name: config.brandName, host: new URL(config.issuer).host };
  const delivery = new CodeDelivery({ db: store.db, codes: credentials.codes, messenger: messaging.messenger, throttle: credentials.throttle, brand, sendsPerTarget: config.codes.sendsPerTarget, audit });
  const flowDeps = { delivery, customers, flows, issuer: config.issuer, pool: DEFAULT_POOL };
  const verification = new EmailVerification({ delivery, customers, issuer: config.issuer });
  customers.onEmailToVerify((trx, customer) => verification.sendWithin(trx, customer));
  const fetch = infra.outbound.fetch;
  const sessions = new CustomerSessions(store.db, audit, infra.artifacts);
  const notices = new SecurityNotices({ db: store.db, customers, messenger: messaging.messenger, brand, issuer: config.issuer });
  const privacy = buildPrivacy({ config, fetch, checkUrl: infra.checkOutboundUrl, db: store.db, dialect: store.dialect, audit, events: domain.publisher, customers, ledger: domain.ledger, messenger: messaging.messenger, brand, log });
  infra.metrics.watchPrivacy(() => privacy.queue.figures());
  infra.metrics.watchOutbox(() => messaging.outbox.figures());
  messaging.worker.onFailure((topic, outcome) => infra.metrics.outboxFailed(topic, outcome));
  const callerVerifications = new CallerVerifications({ db: store.db, customers, delivery, audit });
  const personalization = buildPersonalization(infra, domain, privacy);
  return {
    messaging,
    flows,
    delivery,
    emailCode: new EmailCodeSignIn(flowDeps),
    recovery: new PasswordRecovery(flowDeps),
    smsCode: new SmsCodeSignIn(flowDeps),
    verification,
    phones: new PhoneVerification({ delivery, customers }),
    notices,
    sessions,
    passwordChange: new PasswordChange({ customers, throttle: credentials.throttle, sessions }),
    emailChange: new EmailChange({ delivery, customers, notices }),
    federation: buildFederation({ config, db: store.db, audit, customers, customerStore: domain.customerStore, flows, pool: DEFAULT_POOL, fetch, log }),
    privacy,
    callerVerifications,
    timeline: new CustomerTimeline(store.db),
    personalization,
    inStore: buildInStore(infra, domain, { throttle: credentials.throttle, verifications: callerVerifications, references: privacy.references, personalization, dataMap: privacy.dataMap }),
  };
}

/** Signals and segments under the gating consent: the ledger tells it of every decision, in the decision's transaction. */
function buildPersonalization({ config, store, log }: Infrastructure, { ledger, purposes, publisher, audit, profile, brands }: CustomerDomain, privacy: Privacy): Personalization {
  const settings = config.personalization;
  const signals = new Signals(store.db);
  const segments = new Segments({ db: store.db, dialect: store.dialect, signals, ledger, purposes, events: publisher, audit, gatingPurpose: settings.purpose, retentionDays: settings.retentionDays });
  const personalization = new Personalization({ db: store.db, signals, segments, ledger, references: privacy.references, settings });
  profile.attributes.onChange((trx, customerId, now) => personalization.profileChanged(customerId, now, trx));
  // After the visit is recorded, outside the sign-in's own work: a failure here is logged, never a failed sign-in.
  brands.onFirstVisit((customerId, now) => personalization.profileChanged(customerId, now).catch((error: unknown) => log.error({ err: error }, 'segments after a first brand visit failed')));
  return personalization;
}

function buildInStore({ config, store }: Infrastructure, { customers, guests, audit }: CustomerDomain, deps: Pick<TillDeps, 'throttle' | 'verifications' | 'references' | 'personalization'> & { dataMap: DataMap }): InStore {
  const stores = new Stores(store.db, audit);
  deps.dataMap.addRecipients(async () => (await stores.list()).map((entry) => ({ kind: 'store', key: entry.key, name: entry.name, receives: releasedCategories(entry), system: entry.system })));
  const codes = new MemberCodes(store.db, config.secrets.hashing('member-code'));
  return { stores, codes, till: new Till(store.db, { ...deps, stores, codes, customers, guests, audit }) };
}
