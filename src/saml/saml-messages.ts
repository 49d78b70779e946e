import { inflateRawSync } from 'node:zlib';
import * as xmllint from '@authenio/samlify-node-xmllint';
import samlify from 'samlify';
import { DomainError } from '../errors/domain-error.ts';

// samlify checks every message against the SAML schemas before it trusts it; node-xmllint is
// libxml2 compiled to JavaScript (no native build, no Java).
samlify.setSchemaValidator({ validate: (xml: string) => xmllint.validate(xml) });

/** The largest SAML message taken in (decoded, inflated): an AuthnRequest is a few kilobytes, metadata some tens. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** The largest base64 SAMLRequest a binding carries (the POST body limit says the same). */
export const MAX_ENCODED_CHARS = Math.ceil((MAX_MESSAGE_BYTES * 4) / 3) + 4;

const BASE64 = /^[A-Za-z0-9+/\r\n]+={0,2}[\r\n]*$/;
/** A document type declaration or an entity: XXE and entity expansion ("billion laughs") start here. */
const DTD = /<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)/i;

export const samlRefusal = (code: string, message: string, status = 400) => new DomainError(code, status, message);

/**
 * Refuses XML that declares a document type or entities, before any parser sees it: no XXE, no
 * entity expansion. NUL bytes (UTF-16 and the like, where the check could not see a DOCTYPE) are
 * refused as well.
 */
export function refuseDtd(xml: string): string {
  if (xml.includes('\0')) throw samlRefusal('saml_invalid_request', 'The SAML message is not UTF-8 XML');
  if (DTD.test(xml)) throw samlRefusal('saml_dtd_refused', 'SAML messages with a DOCTYPE or entities are refused');
  return xml;
}

/**
 * A SAMLRequest as a binding carries it (base64; deflated on the HTTP-Redirect binding), decoded
 * with bounded sizes and checked by `refuseDtd`.
 */
export function decodeSamlRequest(value: unknown, binding: 'redirect' | 'post'): string {
  if (typeof value !== 'string' || value.length === 0) throw samlRefusal('saml_invalid_request', 'SAMLRequest is missing');
  if (value.length > MAX_ENCODED_CHARS) throw samlRefusal('saml_request_too_large', 'The SAML request is too large', 413);
  if (!BASE64.test(value)) throw samlRefusal('saml_invalid_request', 'SAMLRequest is not base64');
  const bytes = Buffer.from(value, 'base64');
  let xml: Buffer = bytes;
  if (binding === 'redirect') {
    try {
      xml = inflateRawSync(bytes, { maxOutputLength: MAX_MESSAGE_BYTES });
    } catch (error) {
      const tooLarge = (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
      throw tooLarge ? samlRefusal('saml_request_too_large', 'The SAML request is too large', 413) : samlRefusal('saml_invalid_request', 'SAMLRequest is not deflated XML');
    }
  }
  return refuseDtd(xml.toString('utf8'));
}

export { samlify };
