import { z } from 'zod';
import { brandKey } from '../validation/brand-key.ts';
import { nameText, text } from '../validation/text.ts';

/** What may be released to a service provider: claims, and customer references per data-map system. */
export const RELEASABLE = /^(email|email_verified|given_name|family_name|name|phone_number|references\.[a-z][a-z0-9_-]{1,63})$/;

const fields = {
  name: nameText().trim().min(1).max(200),
  entity_id: text().min(1).max(1024).describe("The service provider's entity id (its Issuer)"),
  acs_urls: z
    .array(text().min(1).max(2000))
    .min(1)
    .max(10)
    .describe('Assertion Consumer Service URLs (HTTP-POST), matched exactly; the first is where IdP-initiated sign-ins go. https (http only on 127.0.0.1 or [::1] outside production)'),
  certificate: text().min(100).max(20_000).nullable().describe("The service provider's signing certificate (PEM or base64 DER), for signed AuthnRequests"),
  metadata_xml: text()
    .min(1)
    .max(100_000)
    .describe("The service provider's SAML metadata; entity id, ACS URLs, certificate and whether it signs are read from it (fields given beside it win)"),
  authn_requests_signed: z.boolean().describe('Whether AuthnRequests must be signed (needs the certificate)'),
  nameid_format: z.enum(['persistent', 'email']).describe('persistent: a pairwise pseudonym per service provider (default); email: the e-mail address'),
  attributes: z.array(text().regex(RELEASABLE, 'email, email_verified, given_name, family_name, name, phone_number or references.<system>')).max(30).describe('The attributes released, by claim name (references.<system> for a customer reference)'),
  first_party: z.boolean().describe("The group's own service: no consent screen"),
  brand: brandKey.nullable().describe('The brand (chain) whose look the sign-in pages take; null: the group'),
};

export const serviceProviderInput = z.strictObject({
  name: fields.name,
  entity_id: fields.entity_id.optional(),
  acs_urls: fields.acs_urls.optional(),
  certificate: fields.certificate.optional(),
  metadata_xml: fields.metadata_xml.optional(),
  authn_requests_signed: fields.authn_requests_signed.optional(),
  nameid_format: fields.nameid_format.default('persistent'),
  attributes: fields.attributes.default([]),
  first_party: fields.first_party.default(false),
  brand: fields.brand.default(null),
});
export type ServiceProviderInput = z.infer<typeof serviceProviderInput>;

export const serviceProviderPatch = z
  .strictObject({
    name: fields.name,
    entity_id: fields.entity_id,
    acs_urls: fields.acs_urls,
    certificate: fields.certificate,
    authn_requests_signed: fields.authn_requests_signed,
    nameid_format: fields.nameid_format,
    attributes: fields.attributes,
    first_party: fields.first_party,
    brand: fields.brand,
  })
  .partial();
export type ServiceProviderPatch = z.infer<typeof serviceProviderPatch>;

export const serviceProviderOutput = z.object({
  id: z.string().describe('Also the client id of the OpenID client the service provider signs in through'),
  name: z.string(),
  entity_id: z.string(),
  acs_urls: z.array(z.string()),
  certificate: z.string().nullable(),
  authn_requests_signed: z.boolean(),
  nameid_format: z.enum(['persistent', 'email']),
  attributes: z.array(z.string()),
  first_party: z.boolean(),
  brand: z.string().nullable(),
  idp_metadata_url: z.string().describe("Portvakt's IdP metadata, to give the service provider"),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});
export type ServiceProviderOutput = z.infer<typeof serviceProviderOutput>;
