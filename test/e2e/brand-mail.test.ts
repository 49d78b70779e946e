import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { SHOP_REDIRECT } from '../support/shop.ts';
import { SmtpCatcher } from '../support/smtp-catcher.ts';

/** A brand's client sends its codes in the brand's name, from the brand's sender (real SMTP server). */
describe.each(DIALECTS)('brand e-mails on %s', (dialect) => {
  let server: RunningPortvakt;
  let smtp: SmtpCatcher;

  beforeAll(async () => {
    smtp = await SmtpCatcher.start();
    server = await startPortvakt(dialect, { SMTP_URL: smtp.url, MAIL_FROM: 'Gruppen <no-reply@gruppen.example>' });
    await server.api('PUT', '/brands/kok_co', { name: 'Kök & Co', accent_color: '#b3261e', sender: 'Kök & Co <kund@kokco.example>' });
  });
  afterAll(async () => {
    await server?.stop();
    await smtp?.close();
  });

  async function codeMailAt(brand: string | null, email: string) {
    const client = (await server.api('POST', '/clients', { client_name: 'Shop', redirect_uris: [SHOP_REDIRECT], first_party: true, brand })).body;
    const rp = await RelyingParty.discover(server.url, client.client_id, client.client_secret, SHOP_REDIRECT);
    const agent = new CookieAgent();
    const landing = await agent.follow(await rp.authorizationUrl(), server.url);
    expect((await agent.postForm(`${landing.url}/email-code`, { csrf: csrfOf(await landing.response.text()), intent: 'sign_up', email, password: '' })).status).toBe(303);
    return (await smtp.waitFor(email)).text;
  }

  it("sends a brand client's code as the brand, and the group's as the group", async () => {
    const branded = await codeMailAt('kok_co', 'branded@example.se');
    expect(branded).toMatch(/^From: .*<kund@kokco\.example>/m);
    // The subject names the brand (encoded, as non-ASCII headers are).
    expect(branded).toMatch(/^Subject: .*Your_code_to_create_your_K.{1,4}k_&_Co/m);
    const group = await codeMailAt(null, 'group@example.se');
    expect(group).toMatch(/^From: Gruppen <no-reply@gruppen\.example>/m);
  });
});
