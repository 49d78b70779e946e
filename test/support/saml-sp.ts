import { createServer, type Server } from 'node:http';
import { SAML, ValidateInResponseTo, type Profile } from '@node-saml/node-saml';
import samlify from 'samlify';

/** What arrived at the service provider's ACS: the profile node-saml validated, or why it refused. */
export interface AcsArrival {
  profile?: Profile;
  error?: string;
  samlResponse: string;
  relayState?: string;
}

/**
 * A SAML service provider for the tests: node-saml (an SP library Portvakt's code does not use)
 * configured from Portvakt's IdP metadata, with its ACS on a tiny local HTTP server that validates
 * what the browser posts and records it.
 */
export class TestServiceProvider {
  readonly #server: Server;
  readonly arrivals: AcsArrival[] = [];
  readonly entityId: string;
  #port = 0;
  saml!: SAML;

  private constructor(entityId: string) {
    this.entityId = entityId;
    this.#server = createServer((request, response) => {
      if (request.method !== 'POST' || request.url !== '/acs') {
        response.writeHead(404).end();
        return;
      }
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', async () => {
        const form = Object.fromEntries(new URLSearchParams(body));
        const arrival: AcsArrival = { samlResponse: form.SAMLResponse ?? '', ...(form.RelayState ? { relayState: form.RelayState } : {}) };
        try {
          arrival.profile = (await this.saml.validatePostResponseAsync(form)).profile ?? undefined;
        } catch (error) {
          arrival.error = error instanceof Error ? error.message : String(error);
        }
        this.arrivals.push(arrival);
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(`<!doctype html><title>Service</title><h1 id="done">${arrival.profile ? 'Signed in at the service' : 'Refused by the service'}</h1>`);
      });
    });
  }

  /** Started, and configured from the IdP metadata at `issuer`/saml/metadata. */
  static async start(issuer: string, entityId: string, options: { signingKey?: string; binding?: 'redirect' | 'post' } = {}): Promise<TestServiceProvider> {
    const sp = new TestServiceProvider(entityId);
    await new Promise<void>((resolve) => sp.#server.listen(0, '127.0.0.1', resolve));
    const address = sp.#server.address();
    sp.#port = typeof address === 'object' && address ? address.port : 0;
    const xml = await (await fetch(`${issuer}/saml/metadata`)).text();
    const idp = samlify.IdPMetadata(xml);
    const cert = idp.getX509Certificate('signing');
    sp.saml = new SAML({
      issuer: entityId,
      callbackUrl: sp.acs,
      entryPoint: String(idp.getSingleSignOnService(options.binding ?? 'redirect')),
      // The HTTP-POST binding carries the request base64-encoded, not deflated (SAML bindings §3.5.4).
      ...(options.binding === 'post' ? { authnRequestBinding: 'HTTP-POST', skipRequestCompression: true } : {}),
      idpCert: Array.isArray(cert) ? cert : [cert],
      audience: entityId,
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: true,
      identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      validateInResponseTo: ValidateInResponseTo.ifPresent,
      // RSA-SHA256 with a SHA-256 digest: Portvakt refuses SHA-1 in either place.
      ...(options.signingKey ? { privateKey: options.signingKey, signatureAlgorithm: 'sha256' as const, digestAlgorithm: 'sha256' as const } : {}),
    });
    return sp;
  }

  get acs(): string {
    return `http://127.0.0.1:${this.#port}/acs`;
  }

  /** An SP-initiated sign-in on the HTTP-Redirect binding. */
  redirectUrl(relayState = ''): Promise<string> {
    return this.saml.getAuthorizeUrlAsync(relayState, undefined, {});
  }

  /** An SP-initiated sign-in on the HTTP-POST binding: the fields of the form node-saml draws. */
  async postFields(relayState = ''): Promise<Record<string, string>> {
    const form = await this.saml.getAuthorizeFormAsync(relayState);
    return Object.fromEntries([...form.matchAll(/name="(SAMLRequest|RelayState)" value="([^"]*)"/g)].map((match) => [match[1]!, match[2]!]));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
