import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Adapter } from 'oidc-provider';
import type { IdentityProviderInstance, ServiceProviderInstance } from 'samlify';
import { samlify, decodeSamlRequest, samlRefusal } from './saml-messages.ts';
import type { SamlRequestIds } from './saml-request-ids.ts';
import type { SamlSigningKey, SamlSigningKeyStore } from './saml-signing-key.ts';
import type { ServiceProviderRecord, ServiceProviderStore } from './service-provider-store.ts';

const { Constants, Extractor, SamlLib } = samlify;
const BINDING = Constants.namespace.binding;
const FORMAT = Constants.namespace.format;
const RSA_SHA256 = Constants.algorithms.signature.RSA_SHA256;

/** An AuthnRequest older than this (or this far in the future) is refused; its ID is remembered as long. */
export const REQUEST_MAX_AGE_MS = 5 * 60_000;
const CLOCK_SKEW_MS = 60_000;
/** How long a validated request waits for the sign-in to finish (the OpenID interaction's lifetime). */
const PENDING_SECONDS = 3600;
/** How long the assertion may be used at the service provider. */
const ASSERTION_LIFETIME_MS = 5 * 60_000;

/** A validated request waiting, server-side under a random handle, for the OpenID sign-in to finish. */
export interface PendingSamlRequest {
  serviceProvider: string;
  /** The AuthnRequest's ID; null when the sign-in was started here (IdP-initiated). */
  requestId: string | null;
  acs: string;
  relayState: string | null;
  /** The PKCE verifier of the internal authorization request. */
  verifier: string;
  /** ForceAuthn="true": the customer signs in again even with an SSO session (max_age=0). */
  forceAuthn: boolean;
}

/** What the sign-in gave: the customer, when they signed in, and the attribute values released (already limited to what the SP may get). */
export interface SignedInSubject {
  customerId: string;
  email: string;
  authTime: number;
  sessionIndex: string;
  attributes: Array<{ name: string; value: string }>;
}

/** What the browser posts to the service provider's ACS. */
export interface SamlPost {
  acs: string;
  samlResponse: string;
  relayState: string | null;
}

export interface IdentityProviderDeps {
  issuer: string;
  keys: SamlSigningKeyStore;
  providers: ServiceProviderStore;
  requestIds: SamlRequestIds;
  pending: Adapter;
  /** The key of the pairwise NameIDs (derived from PORTVAKT_SECRET). */
  nameIdKey: Buffer;
}

/**
 * Portvakt as a SAML 2.0 IdP, through samlify: the metadata, AuthnRequests taken in (HTTP-Redirect
 * and HTTP-POST) and checked, and signed responses (assertion and response, RSA-SHA256) built for
 * the signed-in subject. The sign-in itself is the OpenID one (saml.routes.ts).
 */
export class SamlIdentityProvider {
  readonly #deps: IdentityProviderDeps;
  readonly entityId: string;
  readonly ssoUrl: string;
  /** samlify's IdP, built once per key (and per whether AuthnRequests must be signed). */
  readonly #built = new Map<string, IdentityProviderInstance>();

  constructor(deps: IdentityProviderDeps) {
    this.#deps = deps;
    this.entityId = `${deps.issuer}/saml/metadata`;
    this.ssoUrl = `${deps.issuer}/saml/sso`;
  }

  async metadata(): Promise<string> {
    return (await this.#idp(false)).getMetadata();
  }

  /**
   * A SAMLRequest received: the issuer must be registered, the signature (when the SP signs) and
   * the schema valid, the ACS one registered, IssueInstant recent, the ID not seen before.
   * Answers the handle the pending request is kept under.
   */
  async receive(binding: 'redirect' | 'post', fields: Record<string, unknown>, octetString?: string): Promise<{ handle: string; pending: PendingSamlRequest; sp: ServiceProviderRecord }> {
    const xml = decodeSamlRequest(fields.SAMLRequest, binding);
    const issuer = Extractor.extract(xml, Extractor.loginRequestFields).issuer;
    const sp = typeof issuer === 'string' ? await this.#deps.providers.findByEntityId(issuer.trim()) : undefined;
    if (!sp) throw samlRefusal('saml_unknown_sp', 'The service provider is not registered');
    const parsed = await this.#parse(sp, binding, fields, octetString);
    const request = (parsed.extract.request ?? {}) as Record<string, string | undefined>;
    const acs = request.assertionConsumerServiceUrl ?? sp.acsUrls[0]!;
    if (!sp.acsUrls.includes(acs)) throw samlRefusal('saml_wrong_acs', 'The AssertionConsumerServiceURL is not one the service provider registered');
    if (request.destination !== undefined && request.destination !== this.ssoUrl) throw samlRefusal('saml_wrong_destination', 'The request was meant for another address');
    const issued = Date.parse(request.issueInstant ?? '');
    const now = Date.now();
    if (!Number.isFinite(issued) || issued < now - REQUEST_MAX_AGE_MS || issued > now + CLOCK_SKEW_MS) throw samlRefusal('saml_request_expired', 'The request is too old, or dated in the future');
    const requestId = request.id;
    if (!requestId || requestId.length > 256) throw samlRefusal('saml_invalid_request', 'The request has no usable ID');
    if (!(await this.#deps.requestIds.firstUse(sp.id, requestId, issued + REQUEST_MAX_AGE_MS + CLOCK_SKEW_MS, now))) throw samlRefusal('saml_request_replayed', 'This request was already answered');
    return this.#keep({ serviceProvider: sp.id, requestId, acs, relayState: relayStateOf(fields.RelayState), forceAuthn: forcesAuthn(xml) }, sp);
  }

  /** IdP-initiated sign-in at a registered service provider: its first ACS, no request to answer. */
  async initiate(entityId: string, relayState: unknown): Promise<{ handle: string; pending: PendingSamlRequest; sp: ServiceProviderRecord }> {
    const sp = await this.#deps.providers.findByEntityId(entityId);
    if (!sp) throw samlRefusal('saml_unknown_sp', 'The service provider is not registered');
    return this.#keep({ serviceProvider: sp.id, requestId: null, acs: sp.acsUrls[0]!, relayState: relayStateOf(relayState), forceAuthn: false }, sp);
  }

  async serviceProvider(id: string): Promise<ServiceProviderRecord | undefined> {
    return this.#deps.providers.find(id);
  }

  /** The pending request of a handle, taken (once). */
  async take(handle: string): Promise<PendingSamlRequest | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(handle)) return undefined;
    const found = await this.#deps.pending.find(handle);
    if (!found) return undefined;
    await this.#deps.pending.destroy(handle);
    return found as unknown as PendingSamlRequest;
  }

  /** The signed response for the subject, for the browser to post to the ACS. */
  async respond(pending: PendingSamlRequest, subject: SignedInSubject): Promise<SamlPost> {
    const sp = await this.#deps.providers.find(pending.serviceProvider);
    if (!sp || !sp.acsUrls.includes(pending.acs)) throw samlRefusal('saml_unknown_sp', 'The service provider is no longer registered');
    const idp = await this.#idp(false);
    const nameId = sp.nameIdFormat === 'email' ? subject.email : this.pairwiseNameId(subject.customerId, sp.entityId);
    const built = await idp.createLoginResponse(this.#spEntity(sp, pending.acs), { extract: {} }, 'post', {}, {
      relayState: pending.relayState ?? undefined,
      customTagReplacement: () => this.#render(sp, pending, subject, nameId),
    });
    return { acs: pending.acs, samlResponse: built.context, relayState: pending.relayState };
  }

  /** Persistent and pairwise: an HMAC of the customer and the SP's entity id, so two SPs cannot join their users. */
  pairwiseNameId(customerId: string, entityId: string): string {
    return createHmac('sha256', this.#deps.nameIdKey).update(`${customerId}\n${entityId}`).digest('base64url');
  }

  async #keep(request: Omit<PendingSamlRequest, 'verifier'>, sp: ServiceProviderRecord) {
    const handle = randomBytes(32).toString('base64url');
    const pending: PendingSamlRequest = { ...request, verifier: randomBytes(32).toString('base64url') };
    await this.#deps.pending.upsert(handle, { ...pending }, PENDING_SECONDS);
    return { handle, pending, sp };
  }

  async #parse(sp: ServiceProviderRecord, binding: 'redirect' | 'post', fields: Record<string, unknown>, octetString?: string) {
    const idp = await this.#idp(sp.authnRequestsSigned);
    try {
      return await idp.parseLoginRequest(this.#spEntity(sp, sp.acsUrls[0]!), binding, binding === 'redirect' ? { query: fields, ...(octetString ? { octetString } : {}) } : { body: fields });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (/SIGNATURE|SIG_ALG/i.test(reason)) throw samlRefusal('saml_bad_signature', `The request's signature is missing or wrong (${reason})`);
      throw samlRefusal('saml_invalid_request', `The SAML request is not valid (${reason.slice(0, 100)})`);
    }
  }

  #render(sp: ServiceProviderRecord, pending: PendingSamlRequest, subject: SignedInSubject, nameId: string) {
    const id = `_${randomBytes(20).toString('hex')}`;
    const now = new Date();
    const later = new Date(now.getTime() + ASSERTION_LIFETIME_MS).toISOString();
    const attributes = subject.attributes.map((attribute, index) => ({ name: attribute.name, nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic', valueTag: `v${index}`, valueXsiType: 'xs:string' }));
    const statement = attributes.length > 0 ? SamlLib.attributeStatementBuilder(attributes) : '';
    const template = SamlLib.defaultLoginResponseTemplate.context.replace('{AuthnStatement}', AUTHN_STATEMENT).replace('{AttributeStatement}', statement);
    const values: Record<string, string | null> = {
      ID: id,
      AssertionID: `_${randomBytes(20).toString('hex')}`,
      Destination: pending.acs,
      Audience: sp.entityId,
      SubjectRecipient: pending.acs,
      Issuer: this.entityId,
      IssueInstant: now.toISOString(),
      StatusCode: Constants.StatusCode.Success,
      ConditionsNotBefore: now.toISOString(),
      ConditionsNotOnOrAfter: later,
      SubjectConfirmationDataNotOnOrAfter: later,
      NameIDFormat: sp.nameIdFormat === 'email' ? FORMAT.emailAddress : FORMAT.persistent,
      NameID: nameId,
      InResponseTo: pending.requestId,
      AuthnInstant: new Date(subject.authTime * 1000).toISOString(),
      SessionIndex: subject.sessionIndex,
      ...Object.fromEntries(subject.attributes.map((attribute, index) => [`attrV${index}`, attribute.value])),
    };
    return { id, context: SamlLib.replaceTagsByValue(template, values) };
  }

  async #idp(wantAuthnRequestsSigned: boolean): Promise<IdentityProviderInstance> {
    const key = await this.#deps.keys.current();
    const name = `${key.certificate}:${wantAuthnRequestsSigned}`;
    let idp = this.#built.get(name);
    if (!idp) {
      idp = this.#build(key, wantAuthnRequestsSigned);
      this.#built.set(name, idp);
    }
    return idp;
  }

  #build(key: SamlSigningKey, wantAuthnRequestsSigned: boolean): IdentityProviderInstance {
    return samlify.IdentityProvider({
      entityID: this.entityId,
      privateKey: key.privateKey,
      signingCert: key.certificate,
      wantAuthnRequestsSigned,
      requestSignatureAlgorithm: RSA_SHA256,
      allowedSignatureAlgorithms: [RSA_SHA256, Constants.algorithms.signature.RSA_SHA512],
      nameIDFormat: [FORMAT.persistent, FORMAT.emailAddress],
      singleSignOnService: [
        { Binding: BINDING.redirect, Location: this.ssoUrl },
        { Binding: BINDING.post, Location: this.ssoUrl },
      ],
    });
  }

  /** The SP as samlify sees it: the one ACS this answer goes to, both the response and the assertion signed. */
  #spEntity(sp: ServiceProviderRecord, acs: string): ServiceProviderInstance {
    return samlify.ServiceProvider({
      entityID: sp.entityId,
      assertionConsumerService: [{ Binding: BINDING.post, Location: acs }],
      ...(sp.certificate ? { signingCert: sp.certificate } : {}),
      authnRequestsSigned: sp.authnRequestsSigned,
      wantAssertionsSigned: true,
      wantMessageSigned: true,
    });
  }
}

const AUTHN_STATEMENT =
  '<saml:AuthnStatement AuthnInstant="{AuthnInstant}" SessionIndex="{SessionIndex}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>';

/** The AuthnRequest's ForceAuthn attribute (xs:boolean), read by samlify's extractor. */
function forcesAuthn(xml: string): boolean {
  // Two attributes, so the extractor answers an object (with one it answers the bare value).
  const { request } = Extractor.extract(xml, [{ key: 'request', localPath: ['AuthnRequest'], attributes: ['ID', 'ForceAuthn'] }]);
  const value = (request as Record<string, unknown> | undefined)?.forceAuthn;
  return value === 'true' || value === '1';
}

/** RelayState is the SP's opaque value, returned as it came (bounded). */
function relayStateOf(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || value.length > 1024 || value.includes('\0')) throw samlRefusal('saml_invalid_request', 'RelayState is not usable');
  return value;
}

/** The PKCE challenge of a verifier (S256). */
export function challengeOf(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}
