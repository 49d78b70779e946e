import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleOperator } from '../support/console-operator.ts';
import { mapSystems } from '../support/data-map.ts';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { ADMIN_KEY, startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { selfSignedKey } from '../../src/saml/saml-signing-key.ts';
import { TestServiceProvider } from '../support/saml-sp.ts';

const WHO = { email: 'saml.member@example.se', password: 'a members passphrase' };

/** The auto-posted form of /saml/continue: where it goes and what it carries. */
function postedForm(page: string): { acs: string; fields: Record<string, string> } {
  const unescape = (value: string) => value.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const acs = /<form method="post" action="([^"]+)" data-autosubmit>/.exec(page)?.[1];
  if (!acs) throw new Error(`no SAML form on the page: ${page.slice(0, 400)}`);
  const fields = Object.fromEntries([...page.matchAll(/<input type="hidden" name="(SAMLResponse|RelayState)" value="([^"]*)">/g)].map((match) => [match[1]!, unescape(match[2]!)]));
  return { acs: unescape(acs), fields };
}

/** Follows a SAML sign-in from `url` through the hosted sign-in (when there is no session) to the page that posts to the ACS. */
async function samlSignIn(agent: CookieAgent, url: string, issuer: string): Promise<{ acs: string; fields: Record<string, string> } | { refused: number; page: string }> {
  let landing = await agent.follow(url, issuer);
  if (landing.url.startsWith(`${issuer}/login/`)) {
    const csrf = csrfOf(await landing.response.text());
    const submitted = await agent.postForm(`${landing.url}/password`, { csrf, email: WHO.email, password: WHO.password });
    landing = await agent.follow(new URL(submitted.headers.get('location')!, issuer).toString(), issuer);
  }
  const page = await landing.response.text();
  if (landing.response.status !== 200 || !page.includes('data-autosubmit')) return { refused: landing.response.status, page };
  return postedForm(page);
}

async function deliver(sp: TestServiceProvider, form: { acs: string; fields: Record<string, string> }) {
  await fetch(form.acs, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form.fields).toString() });
  return sp.arrivals.at(-1)!;
}

/** An AuthnRequest of our own making (node-saml makes only valid ones), on the HTTP-Redirect binding. */
function redirectWith(issuer: string, xml: string): string {
  return `${issuer}/saml/sso?SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'))}`;
}

function authnRequest(fields: { id: string; issuer: string; acs: string; destination: string; instant?: string }): string {
  return `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${fields.id}" Version="2.0" IssueInstant="${fields.instant ?? new Date().toISOString()}" Destination="${fields.destination}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" AssertionConsumerServiceURL="${fields.acs}"><saml:Issuer>${fields.issuer}</saml:Issuer></samlp:AuthnRequest>`;
}

describe.each(DIALECTS)('Portvakt as a SAML identity provider on %s', (dialect) => {
  let server: RunningPortvakt;
  let community: TestServiceProvider;
  let warranty: TestServiceProvider;
  let customerId: string;

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    customerId = (await server.api('POST', '/customers', { ...WHO, given_name: 'Sara', family_name: 'Lind' })).body.id;
    await mapSystems(server, 'crm', 'loyalty');
    await server.api('PUT', `/customers/${customerId}/references/crm`, { reference: 'CRM-7' });
    await server.api('PUT', `/customers/${customerId}/references/loyalty`, { reference: 'L-3' });
    [community, warranty] = await Promise.all([TestServiceProvider.start(server.url, 'https://community.example.se/saml'), TestServiceProvider.start(server.url, 'https://warranty.example.se/sp')]);
    const one = await server.api('POST', '/saml/service-providers', { name: 'Community', entity_id: community.entityId, acs_urls: [community.acs], attributes: ['email', 'given_name', 'references.crm'], first_party: true });
    expect(one.status, JSON.stringify(one.body)).toBe(201);
    const two = await server.api('POST', '/saml/service-providers', { name: 'Warranty', entity_id: warranty.entityId, acs_urls: [warranty.acs], attributes: ['family_name'], first_party: true });
    expect(two.status, JSON.stringify(two.body)).toBe(201);
  });
  afterAll(async () => {
    await community?.close();
    await warranty?.close();
    await server?.stop();
  });

  it('signs in SP-initiated: a response node-saml validates, the pairwise NameID and only the configured attributes; a second SP without a form', async () => {
    const agent = new CookieAgent();
    const form = await samlSignIn(agent, await community.redirectUrl('back-to/forum'), server.url);
    if ('refused' in form) throw new Error(form.page.slice(0, 500));
    expect(form.acs).toBe(community.acs);
    const arrival = await deliver(community, form);
    expect(arrival.error).toBeUndefined();
    expect(arrival.relayState).toBe('back-to/forum');
    const profile = arrival.profile!;
    expect(profile.nameIDFormat).toBe('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
    expect(profile.nameID).not.toContain('@');
    expect(profile.nameID).not.toBe(customerId);
    expect(profile.issuer).toBe(`${server.url}/saml/metadata`);
    expect(profile.email).toBe(WHO.email);
    expect(profile.given_name).toBe('Sara');
    expect(profile['references.crm']).toBe('CRM-7');
    expect(profile.family_name).toBeUndefined();
    expect(profile['references.loyalty']).toBeUndefined();

    // The second service: single sign-on, no form; another pseudonym, only its attribute.
    const again = await samlSignIn(agent, await warranty.redirectUrl(), server.url);
    if ('refused' in again) throw new Error(again.page.slice(0, 500));
    const second = await deliver(warranty, again);
    expect(second.error).toBeUndefined();
    expect(second.profile!.nameID).not.toBe(profile.nameID);
    expect(second.profile!.family_name).toBe('Lind');
    expect(second.profile!.email).toBeUndefined();

    // ForceAuthn: the sign-in form again, despite the session.
    const forced = authnRequest({ id: '_force1', issuer: community.entityId, acs: community.acs, destination: `${server.url}/saml/sso` }).replace('Version="2.0"', 'Version="2.0" ForceAuthn="true"');
    expect((await agent.follow(redirectWith(server.url, forced), server.url)).url).toMatch(/\/login\//);

    // The same service again: the same pseudonym.
    const third = await samlSignIn(agent, await community.redirectUrl(), server.url);
    if ('refused' in third) throw new Error(third.page.slice(0, 500));
    expect((await deliver(community, third)).profile!.nameID).toBe(profile.nameID);
  });

  it('refuses a tampered response at the SP', async () => {
    const agent = new CookieAgent();
    const form = await samlSignIn(agent, await community.redirectUrl(), server.url);
    if ('refused' in form) throw new Error(form.page.slice(0, 500));
    const xml = Buffer.from(form.fields.SAMLResponse!, 'base64').toString('utf8');
    const tampered = xml.replace('Sara', 'Mallory');
    expect(tampered).not.toBe(xml);
    const arrival = await deliver(community, { acs: form.acs, fields: { SAMLResponse: Buffer.from(tampered).toString('base64') } });
    expect(arrival.profile).toBeUndefined();
    expect(arrival.error).toMatch(/signature/i);
  });

  it('signs in IdP-initiated at a registered SP, and refuses an unknown one', async () => {
    const agent = new CookieAgent();
    const form = await samlSignIn(agent, `${server.url}/saml/sso/initiate?sp=${encodeURIComponent(warranty.entityId)}`, server.url);
    if ('refused' in form) throw new Error(form.page.slice(0, 500));
    const arrival = await deliver(warranty, form);
    expect(arrival.error).toBeUndefined();
    expect(arrival.profile!.family_name).toBe('Lind');
    // Configured to get the e-mail address as NameID: it gets it (and then only then).
    const id = (await server.api('GET', '/saml/service-providers')).body.service_providers.find((sp: { entity_id: string }) => sp.entity_id === warranty.entityId).id;
    expect((await server.api('PATCH', `/saml/service-providers/${id}`, { nameid_format: 'email' })).status).toBe(200);
    const byEmail = await samlSignIn(agent, `${server.url}/saml/sso/initiate?sp=${encodeURIComponent(warranty.entityId)}`, server.url);
    if ('refused' in byEmail) throw new Error(byEmail.page.slice(0, 500));
    const emailed = (await deliver(warranty, byEmail)).profile!;
    expect([emailed.nameID, emailed.nameIDFormat]).toEqual([WHO.email, 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress']);
    expect((await server.api('PATCH', `/saml/service-providers/${id}`, { nameid_format: 'persistent' })).status).toBe(200);
    // A branded service: the sign-in wears its brand.
    expect((await server.api('PUT', '/brands/hemma_el', { name: 'Hemma El', accent_color: '#0b6e4f' })).status).toBe(200);
    expect((await server.api('PATCH', `/saml/service-providers/${id}`, { brand: 'hemma_el' })).status).toBe(200);
    const branded = await new CookieAgent().follow(`${server.url}/saml/sso/initiate?sp=${encodeURIComponent(warranty.entityId)}`, server.url);
    expect(branded.url).toContain('/login/');
    expect(await branded.response.text()).toContain('Hemma El');
    const unknown = await new CookieAgent().request(`${server.url}/saml/sso/initiate?sp=${encodeURIComponent('https://nobody.example/')}`, { headers: { 'accept-language': 'sv' } });
    expect(unknown.status).toBe(400);
    const page = await unknown.text();
    expect(page).toContain('saml_unknown_sp');
    expect(page).toContain('Vi känner inte igen tjänsten');
  });

  it('refuses an unknown SP, a wrong ACS, an old IssueInstant, a replayed request and an XXE payload on the localized page', async () => {
    const sso = `${server.url}/saml/sso`;
    const base = { issuer: community.entityId, acs: community.acs, destination: sso };
    const refusal = async (url: string, code: string) => {
      const answer = await new CookieAgent().request(url, { headers: { 'accept-language': 'en' } });
      const page = await answer.text();
      expect(answer.status, page.slice(0, 300)).toBeGreaterThanOrEqual(400);
      expect(page).toContain(code);
      expect(page).toContain('<html lang="en"');
    };
    await refusal(redirectWith(server.url, authnRequest({ ...base, id: '_u1', issuer: 'https://nobody.example/' })), 'saml_unknown_sp');
    await refusal(redirectWith(server.url, authnRequest({ ...base, id: '_a1', acs: 'https://evil.example/acs' })), 'saml_wrong_acs');
    await refusal(redirectWith(server.url, authnRequest({ ...base, id: '_o1', instant: new Date(Date.now() - 10 * 60_000).toISOString() })), 'saml_request_expired');
    await refusal(redirectWith(server.url, authnRequest({ ...base, id: '_f1', instant: new Date(Date.now() + 10 * 60_000).toISOString() })), 'saml_request_expired');
    const once = redirectWith(server.url, authnRequest({ ...base, id: '_r1' }));
    expect((await new CookieAgent().request(once)).status).toBe(303);
    await refusal(once, 'saml_request_replayed');
    const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${authnRequest({ ...base, id: '_x1' }).replace(community.entityId, '&x;')}`;
    await refusal(redirectWith(server.url, xxe), 'saml_dtd_refused');
    const laughs = `<!doctype r [<!entity a "aaaaaaaaaa"><!entity b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>${authnRequest({ ...base, id: '_x2' })}`;
    const posted = await new CookieAgent().postForm(sso, { SAMLRequest: Buffer.from(laughs).toString('base64') });
    expect(posted.status).toBe(400);
    expect(await posted.text()).toContain('saml_dtd_refused');
    const huge = await new CookieAgent().postForm(sso, { SAMLRequest: 'A'.repeat(200_000) });
    expect(huge.status).toBe(413);
  });

  it('insists on the signature of an SP that signs its AuthnRequests (HTTP-Redirect and HTTP-POST, RSA-SHA256)', async () => {
    const key = await selfSignedKey('CN=booking.example.se');
    const signing = await TestServiceProvider.start(server.url, 'https://booking.example.se/sp', { signingKey: key.privateKey });
    const unsigned = await TestServiceProvider.start(server.url, 'https://booking.example.se/sp');
    const poster = await TestServiceProvider.start(server.url, 'https://booking.example.se/sp', { signingKey: key.privateKey, binding: 'post' });
    try {
      const created = await server.api('POST', '/saml/service-providers', { name: 'Booking', entity_id: signing.entityId, acs_urls: [signing.acs, unsigned.acs, poster.acs], certificate: key.certificate, authn_requests_signed: true, attributes: ['email'], first_party: true });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const signedUrl = await signing.redirectUrl('signed');
      expect(signedUrl).toContain('Signature=');
      const form = await samlSignIn(new CookieAgent(), signedUrl, server.url);
      if ('refused' in form) throw new Error(form.page.slice(0, 500));
      expect((await deliver(signing, form)).profile?.email).toBe(WHO.email);
      // Unsigned, or signed and then changed: refused.
      const plain = await new CookieAgent().request(await unsigned.redirectUrl());
      expect([plain.status, (await plain.text()).includes('saml_bad_signature')]).toEqual([400, true]);
      const changed = await new CookieAgent().request((await signing.redirectUrl('signed')).replace('RelayState=signed', 'RelayState=changed'));
      expect([changed.status, (await changed.text()).includes('saml_bad_signature')]).toEqual([400, true]);
      // On the HTTP-POST binding the signature is in the XML: taken when whole, refused when the request was changed.
      const fields = await poster.postFields('posted');
      const xml = Buffer.from(fields.SAMLRequest!, 'base64').toString('utf8');
      expect(xml).toContain('<SignatureValue>');
      const taken = await new CookieAgent().postForm(`${server.url}/saml/sso`, fields);
      expect(taken.status, (await taken.text()).replace(/[\s\S]*<main[^>]*>/, '').slice(0, 600)).toBe(303);
      const altered = Buffer.from(xml.replace(/ID="([^"]+)"/, 'ID="$1x"')).toString('base64');
      const refused = await new CookieAgent().postForm(`${server.url}/saml/sso`, { SAMLRequest: altered });
      expect([refused.status, (await refused.text()).includes('saml_bad_signature')]).toEqual([400, true]);
    } finally {
      await Promise.all([signing.close(), unsigned.close(), poster.close()]);
    }
  });

  it('takes an AuthnRequest on the HTTP-POST binding', async () => {
    const xml = authnRequest({ id: '_p1', issuer: warranty.entityId, acs: warranty.acs, destination: `${server.url}/saml/sso` });
    const answer = await new CookieAgent().postForm(`${server.url}/saml/sso`, { SAMLRequest: Buffer.from(xml).toString('base64'), RelayState: 'r' });
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toMatch(/^\/auth\?client_id=saml-/);
  });

  it('refuses bad input on the management routes with a stable code and writes nothing', async () => {
    const before = (await server.api('GET', '/saml/service-providers')).body.service_providers.length;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: 'x', entity_id: 'https://x.example/', acs_urls: ['http://x.example/acs'] }, 'invalid_acs_url'],
      [{ name: 'x', entity_id: 'https://x.example/', acs_urls: ['https://x.example/acs#frag'] }, 'invalid_acs_url'],
      [{ name: 'x', entity_id: 'https://x.example/', acs_urls: ['https://x.example/acs'], attributes: ['password'] }, 'validation_failed'],
      [{ name: 'x', entity_id: 'https://x.example/', acs_urls: ['https://x.example/acs'], certificate: 'not a certificate at all, no, not at all, not even close to one, really not one. '.repeat(2) }, 'invalid_certificate'],
      [{ name: 'x', entity_id: 'https://x.example/', acs_urls: ['https://x.example/acs'], authn_requests_signed: true }, 'certificate_required'],
      [{ name: 'x', metadata_xml: '<!DOCTYPE x [<!ENTITY e "e">]><x/>' }, 'saml_dtd_refused'],
      [{ name: 'x', metadata_xml: '<nothing/>' }, 'invalid_saml_metadata'],
      [{ name: 'x' }, 'invalid_saml_metadata'],
      [{ name: 'x', entity_id: community.entityId, acs_urls: ['https://x.example/acs'] }, 'entity_id_taken'],
      [{ name: 'x', entity_id: 'https://x.example/', acs_urls: ['https://x.example/acs'], surprise: 1 }, 'unknown_field'],
    ];
    for (const [body, code] of cases) {
      const answer = await server.api('POST', '/saml/service-providers', body);
      expect(answer.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.body.error, JSON.stringify(body)).toBe(code);
    }
    const patched = await server.api('PATCH', '/saml/service-providers/saml-nobody', { name: 'y' });
    expect([patched.status, patched.body.error]).toEqual([404, 'not_found']);
    expect((await server.api('GET', '/saml/service-providers/not-an-id')).status).toBe(400);
    expect((await server.api('GET', '/saml/service-providers')).body.service_providers.length).toBe(before);
  });

  it('answers hostile JSON on the management routes with a 4xx and a stable code, and writes nothing', async () => {
    const db = server.portvakt.store.db;
    const rows = async () => JSON.stringify(await db.selectFrom('saml_service_providers').selectAll().orderBy('id').execute());
    const id = (await server.api('GET', '/saml/service-providers')).body.service_providers[0].id as string;
    const hostile = fc.jsonValue({ stringUnit: fc.constantFrom('\0', 'é', '😀', '\u202e', '"', '<', '&', 'a', '/', ':') });
    for (const [method, path] of [['POST', '/saml/service-providers'], ['PATCH', `/saml/service-providers/${id}`]] as const) {
      await fc.assert(
        fc.asyncProperty(hostile, async (value) => {
          const before = await rows();
          const response = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(value) });
          const answer = (await response.json().catch(() => ({}))) as { error?: string };
          if (response.status < 300) return; // {} is a valid, empty PATCH
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(response.status).toBeLessThan(500);
          expect(answer.error).toMatch(/^[a-z_]+$/);
          expect(await rows()).toBe(before);
        }),
        { numRuns: 40 },
      );
    }
  });

  it('registers from metadata XML and lists the SPs that receive customer data on the data map', async () => {
    const metadata = community.saml.generateServiceProviderMetadata(null, null).replace(community.entityId, 'https://from-metadata.example.se/sp');
    const created = await server.api('POST', '/saml/service-providers', { name: 'From metadata', metadata_xml: metadata, attributes: ['email'] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.entity_id).toBe('https://from-metadata.example.se/sp');
    expect(created.body.acs_urls).toEqual([community.acs]);
    expect(created.body.nameid_format).toBe('persistent');
    const map = await server.api('GET', '/data-map');
    const recipients = (map.body.recipients as Array<{ kind: string; key: string; name: string; receives: string[]; releases?: string[] }>).filter((recipient) => recipient.kind === 'saml_service_provider');
    const community_ = recipients.find((recipient) => recipient.name === 'Community')!;
    expect(community_).toMatchObject({ receives: ['identity', 'contact', 'external_references'], releases: ['email', 'given_name', 'references.crm'], system: null });
    expect(recipients.find((recipient) => recipient.name === 'Warranty')!.receives).toEqual(['identity']);
    expect(recipients.find((recipient) => recipient.name === 'From metadata')!.receives).toEqual(['identity', 'contact']);
    // The privacy officer's data map in the console shows them too.
    const officer = await consoleOperator(server, { email: 'saml.privacy@example.se', roles: ['privacy_officer'] });
    const page = await officer.page('/console/data-map');
    expect(page.status).toBe(200);
    expect(page.html).toContain(`data-recipient="${community_.key}"`);
    expect(page.html).toContain('email, given_name, references.crm');
  });
});
