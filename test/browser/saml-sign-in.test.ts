import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import { expectGoodPage, launchChromium } from '../support/chromium.ts';
import { mapSystems } from '../support/data-map.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { TestServiceProvider } from '../support/saml-sp.ts';

const SHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;
const WHO = { email: 'saml.browser@example.se', password: 'a members passphrase' };

/** SAML sign-in in Chromium: the hosted page, the consent screen of a third-party SP, SSO at a second SP, the refusal page. */
describe.each(DIALECTS)('SAML sign-in in Chromium on %s', (dialect) => {
  let server: RunningPortvakt;
  let browser: Browser;
  let community: TestServiceProvider;
  let warranty: TestServiceProvider;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startPortvakt(dialect), launchChromium()]);
    const customerId = (await server.api('POST', '/customers', { ...WHO, given_name: 'Ida', family_name: 'Berg' })).body.id;
    await mapSystems(server, 'crm');
    await server.api('PUT', `/customers/${customerId}/references/crm`, { reference: 'CRM-42' });
    [community, warranty] = await Promise.all([TestServiceProvider.start(server.url, 'https://community.example.se/saml'), TestServiceProvider.start(server.url, 'https://warranty.example.se/sp')]);
    // A partner's community (third party: the consent screen) and the group's own warranty service.
    expect((await server.api('POST', '/saml/service-providers', { name: 'Partner community', entity_id: community.entityId, acs_urls: [community.acs], attributes: ['email', 'given_name', 'references.crm'] })).status).toBe(201);
    expect((await server.api('POST', '/saml/service-providers', { name: 'Warranty', entity_id: warranty.entityId, acs_urls: [warranty.acs], attributes: ['family_name'], first_party: true })).status).toBe(201);
  });
  afterAll(async () => {
    await browser?.close();
    await community?.close();
    await warranty?.close();
    await server?.stop();
  });

  it('signs in SP-initiated through the hosted page and the consent screen, ends at the ACS with a valid response; the second SP gets SSO without a form', async () => {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(await community.redirectUrl('thread/17'));
    expect(await page.locator('h1').textContent()).toBe('Sign in');
    await page.getByLabel('E-mail address').fill(WHO.email);
    await page.getByLabel('Password').fill(WHO.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // A third-party service: the customer is asked, and sees what it gets.
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    const listed = await page.locator('ul.scopes li').allTextContents();
    expect(listed).toEqual(['Know who you are when you sign in', 'See your e-mail address', 'See your name and language', 'See your customer numbers in our other systems (such as the loyalty programme)']);
    expect(await page.content()).toContain('Partner community');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(community.acs);
    expect(await page.locator('#done').textContent()).toBe('Signed in at the service');
    const arrival = community.arrivals.at(-1)!;
    expect(arrival.error).toBeUndefined();
    expect(arrival.relayState).toBe('thread/17');
    expect(arrival.profile).toMatchObject({ email: WHO.email, given_name: 'Ida', 'references.crm': 'CRM-42', nameIDFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' });
    expect(arrival.profile!.family_name).toBeUndefined();

    // The group's warranty service: the SSO session signs the customer in without a form or a question.
    const visited: string[] = [];
    page.on('framenavigated', (frame) => visited.push(frame.url()));
    await page.goto(await warranty.redirectUrl());
    await page.waitForURL(warranty.acs);
    expect(visited.some((url) => url.includes('/login/'))).toBe(false);
    const second = warranty.arrivals.at(-1)!;
    expect(second.error).toBeUndefined();
    expect(second.profile).toMatchObject({ family_name: 'Berg' });
    expect(second.profile!.email).toBeUndefined();
    expect(second.profile!.nameID).not.toBe(arrival.profile!.nameID);
    await context.close();
  });

  it('refuses a request with an ACS the SP did not register on a localized, accessible page with the code', async () => {
    const context = await browser.newContext({ locale: 'sv-SE' });
    const page = await context.newPage();
    const xml = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_browser1" Version="2.0" IssueInstant="${new Date().toISOString()}" AssertionConsumerServiceURL="https://evil.example/acs"><saml:Issuer>${community.entityId}</saml:Issuer></samlp:AuthnRequest>`;
    const answer = await page.goto(`${server.url}/saml/sso?SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'))}`);
    expect(answer!.status()).toBe(400);
    expect(await page.getAttribute('html', 'lang')).toBe('sv');
    expect(await page.locator('.lead').textContent()).toBe('Tjänsten bad oss skicka dig till en adress den inte har registrerat, så vi stoppade här för din säkerhet.');
    expect(await page.locator('code').textContent()).toBe('saml_wrong_acs');
    await expectGoodPage(page, 'SAML refusal', { screenshot: `${SHOTS}saml-refusal-${dialect}.png`, primary: false, axe: true });
    await context.close();
  });
});
