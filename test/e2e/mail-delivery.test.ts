import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { codeIn, waitForMessage } from '../support/dev-outbox.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { SmtpCatcher } from '../support/smtp-catcher.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';

async function requestSignUpCode(server: RunningPortvakt, email: string): Promise<void> {
  const client = (await server.api('POST', '/clients', { client_name: 'Shop', redirect_uris: [REDIRECT], first_party: true })).body;
  const rp = await RelyingParty.discover(server.url, client.client_id, client.client_secret, REDIRECT);
  const agent = new CookieAgent();
  const landing = await agent.follow(await rp.authorizationUrl(), server.url);
  const csrf = csrfOf(await landing.response.text());
  const sent = await agent.postForm(`${landing.url}/email-code`, { csrf, intent: 'sign_up', email });
  expect(sent.status).toBe(303);
}

describe.each(DIALECTS)('mail delivery through the outbox on %s', (dialect) => {
  let smtp: SmtpCatcher;
  let server: RunningPortvakt;

  beforeAll(async () => {
    smtp = await SmtpCatcher.start();
    server = await startPortvakt(dialect, { SMTP_URL: smtp.url, OUTBOX_POLL_MS: '100', OUTBOX_RETRY_BASE_MS: '100', OUTBOX_RETRY_MAX_MS: '400' });
  });
  afterAll(async () => {
    await server?.stop();
    await smtp?.close();
  });

  it('keeps a message while the SMTP server is down and delivers it once it is back, once', async () => {
    await smtp.pause();
    await requestSignUpCode(server, 'outage@example.se');
    const db = server.portvakt.store.db;
    const deadline = Date.now() + 10_000;
    let row = await db.selectFrom('outbox').selectAll().executeTakeFirstOrThrow();
    while (row.attempts < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      row = await db.selectFrom('outbox').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    }
    expect(row).toMatchObject({ status: 'pending', last_error: 'smtp answered 421' });
    expect(row.attempts).toBeGreaterThanOrEqual(2);
    // The code is sealed at rest: the row does not show it.
    expect(row.payload).toMatch(/^v1\./);

    await smtp.resume();
    const mail = await smtp.waitFor('outage@example.se');
    expect(codeIn(mail.text)).toMatch(/^\d{6}$/);
    // The SMTP server has the mail a moment before the worker marks the row.
    let delivered = row;
    for (const until = Date.now() + 5000; delivered.status !== 'delivered' && Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 50))) {
      delivered = await db.selectFrom('outbox').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    }
    expect(delivered).toMatchObject({ status: 'delivered', payload: '' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(smtp.mails.filter((caught) => caught.to.includes('outage@example.se'))).toHaveLength(1);
  });
});

describe('the development outbox', () => {
  it('holds mail when no SMTP server is configured, and does not exist in production', async () => {
    const development = await startPortvakt('sqlite');
    try {
      await requestSignUpCode(development, 'dev@example.se');
      const message = await waitForMessage(development.url, 'dev@example.se');
      expect(message).toMatchObject({ channel: 'email', subject: 'Your code to create your Portvakt account' });
      expect(codeIn(message.body)).toMatch(/^\d{6}$/);
    } finally {
      await development.stop();
    }
    const smtp = await SmtpCatcher.start();
    const production = await startPortvakt('sqlite', { NODE_ENV: 'production', SMTP_URL: smtp.url }, { httpsIssuer: true });
    try {
      const answer = await fetch(`${production.url}/dev/outbox`, { headers: { 'x-forwarded-proto': 'https' } });
      expect(answer.status).toBe(404);
    } finally {
      await production.stop();
      await smtp.close();
    }
  });
});
