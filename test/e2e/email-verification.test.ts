import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { codeIn, linkIn, waitForMessage } from '../support/dev-outbox.ts';
import type { RunningPortvakt } from '../support/portvakt-server.ts';
import type { RelyingParty } from '../support/relying-party.ts';
import { startWithShop } from '../support/shop.ts';

describe.each(DIALECTS)('e-mail verification on %s', (dialect) => {
  let server: RunningPortvakt;
  let rp: RelyingParty;

  beforeAll(async () => {
    ({ server, rp } = await startWithShop(dialect));
  });
  afterAll(() => server?.stop());

  it('verifies an address through the link from any browser, once; email_verified turns true in the ID token', async () => {
    const who = { email: 'link@example.se', password: 'a perfectly fine phrase' };
    const created = (await server.api('POST', '/customers', who)).body;
    const before = await rp.callback(await new CookieAgent().authorize(await rp.authorizationUrl(), server.url, who));
    expect(before.claims()).toMatchObject({ email_verified: false });

    expect((await server.api('POST', `/customers/${created.id}/email-verification`)).status).toBe(202);
    const mail = await waitForMessage(server.url, who.email);
    expect(mail.subject).toBe('Confirm your e-mail address for Portvakt');
    const link = linkIn(mail.body);
    const opened = await fetch(link);
    expect(opened.status).toBe(200);
    expect(await opened.text()).toContain('E-mail address confirmed');
    expect((await fetch(link)).status).toBe(400);
    expect((await fetch(`${server.url}/verify-email?token=${'x'.repeat(43)}`)).status).toBe(400);
    expect((await fetch(`${server.url}/verify-email`)).status).toBe(400);

    const after = await rp.callback(await new CookieAgent().authorize(await rp.authorizationUrl(), server.url, who));
    expect(after.claims()).toMatchObject({ email: who.email, email_verified: true });
    expect((await server.api('POST', `/customers/${created.id}/email-verification`)).status).toBe(409);
  });

  it('re-verifies a changed address: the mail goes out by itself and the code works on the account page', async () => {
    const who = { email: 'old@example.se', password: 'another fine phrase', email_verified: true };
    const created = (await server.api('POST', '/customers', who)).body;
    const changed = await server.api('PATCH', `/customers/${created.id}`, { email: 'new@example.se' });
    expect(changed.body).toMatchObject({ email: 'new@example.se', email_verified: false });
    const mail = await waitForMessage(server.url, 'new@example.se');
    expect(mail.subject).toBe('Confirm your e-mail address for Portvakt');

    const agent = new CookieAgent();
    const landed = await agent.authorize(`${server.url}/account/security`, server.url, { email: 'new@example.se', password: who.password });
    expect(landed).toBe(`${server.url}/account/security`);
    const page = await (await agent.request(landed)).text();
    expect(page).toContain('is not confirmed yet');
    const csrf = csrfOf(page);
    expect((await agent.postForm(`${server.url}/account/verify-email`, { csrf, code: '12345' })).status).toBe(400);
    const confirmed = await agent.postForm(`${server.url}/account/verify-email`, { csrf, code: codeIn(mail.body) });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe('/account/security?done=email_verified');
    expect((await server.api('GET', `/customers/${created.id}`)).body.email_verified).toBe(true);
  });

  it('ends the sessions and refresh tokens of a customer whose password an operator changes', async () => {
    const who = { email: 'reset-by-operator@example.se', password: 'the phrase before' };
    const created = (await server.api('POST', '/customers', who)).body;
    const tokens = await rp.callback(await new CookieAgent().authorize(await rp.authorizationUrl(), server.url, who));
    expect((await server.api('PATCH', `/customers/${created.id}`, { password: 'the phrase after it' })).status).toBe(200);
    const refused = await rp.refresh(tokens.refresh_token!).then(() => undefined, (error: unknown) => error);
    expect((refused as oidc.ResponseBodyError).error).toBe('invalid_grant');
  });
});
