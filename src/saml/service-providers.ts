import { randomBytes, X509Certificate } from 'node:crypto';
import { LOOPBACK_HOSTS } from '../clients/client-safety.ts';
import { DomainError } from '../errors/domain-error.ts';
import { OPERATOR, type AuditLog } from '../events/audit-log.ts';
import { refuseDtd, samlify } from './saml-messages.ts';
import type { ServiceProviderInput, ServiceProviderOutput, ServiceProviderPatch } from './service-provider.schemas.ts';
import { SERVICE_PROVIDER_ID_PREFIX, type ReleasedAttribute, type ServiceProviderRecord, type ServiceProviderStore } from './service-provider-store.ts';

const refuse = (code: string, message: string) => new DomainError(code, 400, message);
const notFound = () => new DomainError('not_found', 404, 'No such service provider');

/** What a metadata document says, read by samlify (never by hand). */
interface ReadMetadata {
  entityId: string;
  acsUrls: string[];
  certificate: string | null;
  authnRequestsSigned: boolean;
}

/** SAML service providers registered through the management API (`/api/v1/saml/service-providers`). */
export class ServiceProviders {
  readonly #store: ServiceProviderStore;
  readonly #audit: AuditLog;
  readonly #issuer: string;
  readonly #production: boolean;

  constructor(deps: { store: ServiceProviderStore; audit: AuditLog; issuer: string; production: boolean }) {
    this.#store = deps.store;
    this.#audit = deps.audit;
    this.#issuer = deps.issuer;
    this.#production = deps.production;
  }

  async register(input: ServiceProviderInput, now = Date.now()): Promise<ServiceProviderOutput> {
    const read = input.metadata_xml === undefined ? undefined : readMetadata(input.metadata_xml);
    const entityId = input.entity_id ?? read?.entityId;
    const acsUrls = input.acs_urls ?? read?.acsUrls;
    if (!entityId) throw refuse('invalid_saml_metadata', 'Give entity_id, or metadata_xml that names it');
    if (!acsUrls?.length) throw refuse('invalid_saml_metadata', 'Give acs_urls, or metadata_xml with an HTTP-POST AssertionConsumerService');
    const record: ServiceProviderRecord = {
      id: `${SERVICE_PROVIDER_ID_PREFIX}${randomBytes(12).toString('base64url')}`,
      entityId,
      name: input.name,
      acsUrls,
      certificate: input.certificate === undefined ? (read?.certificate ?? null) : input.certificate,
      authnRequestsSigned: input.authn_requests_signed ?? read?.authnRequestsSigned ?? false,
      nameIdFormat: input.nameid_format,
      attributes: input.attributes as ReleasedAttribute[],
      firstParty: input.first_party,
      brand: input.brand,
      createdAt: now,
      updatedAt: now,
    };
    this.#check(record);
    await this.#store.transaction(async (trx) => {
      if (!(await this.#store.insert(record, trx))) throw new DomainError('entity_id_taken', 409, 'A service provider with this entity id is registered');
      await this.#audit.append(trx, { action: 'saml_service_provider.created', actor: OPERATOR, subject: { type: 'saml_service_provider', id: record.id }, details: { attributes: record.attributes } }, now);
    });
    return this.present(record);
  }

  async list(limit: number, after?: string): Promise<ServiceProviderOutput[]> {
    return (await this.#store.list(limit, after)).map((record) => this.present(record));
  }

  async get(id: string): Promise<ServiceProviderOutput> {
    const record = await this.#store.find(id);
    if (!record) throw notFound();
    return this.present(record);
  }

  async update(id: string, patch: ServiceProviderPatch, now = Date.now()): Promise<ServiceProviderOutput> {
    const current = await this.#store.find(id);
    if (!current) throw notFound();
    const record: ServiceProviderRecord = {
      ...current,
      ...(patch.name === undefined ? {} : { name: patch.name }),
      ...(patch.entity_id === undefined ? {} : { entityId: patch.entity_id }),
      ...(patch.acs_urls === undefined ? {} : { acsUrls: patch.acs_urls }),
      ...(patch.certificate === undefined ? {} : { certificate: patch.certificate }),
      ...(patch.authn_requests_signed === undefined ? {} : { authnRequestsSigned: patch.authn_requests_signed }),
      ...(patch.nameid_format === undefined ? {} : { nameIdFormat: patch.nameid_format }),
      ...(patch.attributes === undefined ? {} : { attributes: patch.attributes as ReleasedAttribute[] }),
      ...(patch.first_party === undefined ? {} : { firstParty: patch.first_party }),
      ...(patch.brand === undefined ? {} : { brand: patch.brand }),
      updatedAt: now,
    };
    this.#check(record);
    const holder = await this.#store.findByEntityId(record.entityId);
    if (holder && holder.id !== id) throw new DomainError('entity_id_taken', 409, 'A service provider with this entity id is registered');
    await this.#store.transaction(async (trx) => {
      await this.#store.update(record, trx);
      await this.#audit.append(trx, { action: 'saml_service_provider.updated', actor: OPERATOR, subject: { type: 'saml_service_provider', id }, details: { fields: Object.keys(patch) } }, now);
    });
    return this.present(record);
  }

  async remove(id: string): Promise<void> {
    await this.#store.transaction(async (trx) => {
      if (!(await this.#store.remove(id, trx))) throw notFound();
      await this.#audit.append(trx, { action: 'saml_service_provider.deleted', actor: OPERATOR, subject: { type: 'saml_service_provider', id } });
    });
  }

  present(record: ServiceProviderRecord): ServiceProviderOutput {
    return {
      id: record.id,
      name: record.name,
      entity_id: record.entityId,
      acs_urls: record.acsUrls,
      certificate: record.certificate,
      authn_requests_signed: record.authnRequestsSigned,
      nameid_format: record.nameIdFormat,
      attributes: record.attributes,
      first_party: record.firstParty,
      brand: record.brand,
      idp_metadata_url: `${this.#issuer}/saml/metadata`,
      created_at: Math.floor(record.createdAt / 1000),
      updated_at: Math.floor(record.updatedAt / 1000),
    };
  }

  /** ACS URLs as redirect URIs are held (https; plain http only on a loopback address outside production), a readable certificate when one is given or needed. */
  #check(record: ServiceProviderRecord): void {
    for (const url of record.acsUrls) {
      if (!this.#acceptableAcs(url)) throw refuse('invalid_acs_url', `${url.slice(0, 200)} is not an https URL${this.#production ? '' : ' (nor http on 127.0.0.1 or [::1])'} without a fragment`);
    }
    if (record.certificate !== null) record.certificate = readCertificate(record.certificate);
    if (record.authnRequestsSigned && record.certificate === null) throw refuse('certificate_required', 'Signed AuthnRequests need the certificate they are signed with');
  }

  #acceptableAcs(value: string): boolean {
    if (!URL.canParse(value)) return false;
    const url = new URL(value);
    if (url.hash !== '' || value.includes('#') || url.username || url.password) return false;
    return url.protocol === 'https:' || (!this.#production && url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  }
}

/** A certificate as PEM, read by node:crypto; refused when it cannot be read. */
function readCertificate(value: string): string {
  const body = value.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  try {
    return new X509Certificate(Buffer.from(body, 'base64')).toString();
  } catch {
    throw refuse('invalid_certificate', 'The certificate is not a readable X.509 certificate');
  }
}

function readMetadata(xml: string): ReadMetadata {
  try {
    const meta = samlify.ServiceProvider({ metadata: refuseDtd(xml) }).entityMeta;
    // Without a binding samlify answers every AssertionConsumerService it read ({ binding, location }).
    const services = meta.getAssertionConsumerService(undefined as unknown as string) as unknown;
    const listed = (Array.isArray(services) ? services : [services]) as Array<{ binding?: unknown; location?: unknown } | undefined>;
    const acsUrls = listed.filter((service) => service?.binding === samlify.Constants.namespace.binding.post && typeof service.location === 'string').map((service) => String(service!.location));
    const certificate = meta.getX509Certificate('signing');
    const first = Array.isArray(certificate) ? certificate[0] : certificate;
    return { entityId: meta.getEntityID(), acsUrls, certificate: first ? readCertificate(first) : null, authnRequestsSigned: meta.isAuthnRequestSigned() };
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw refuse('invalid_saml_metadata', 'The metadata is not SAML service provider metadata that can be read');
  }
}
