import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import type { RunningPortvakt } from '../support/portvakt-server.ts';
import type { RelyingParty } from '../support/relying-party.ts';
import { startWithShop } from '../support/shop.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

const texts = (title: string) => ({
  sv: { title: `${title} (sv)`, description: `Vi använder ${title}.`, legal_text: `Juridisk text för ${title}.` },
  en: { title, description: `We use ${title}.`, legal_text: `Legal text for ${title}.` },
});
const PURPOSES = ['social_media_ads', 'partner_sharing', 'profiling'];

describe.each(DIALECTS)('consent purposes and ledger through the API on %s', (dialect) => {
  let server: RunningPortvakt;
  let rp: RelyingParty;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    [{ server, rp }, receiver] = await Promise.all([startWithShop(dialect, { OUTBOX_POLL_MS: '100' }), WebhookReceiver.start()]);
    receiver.secret = (await server.api('POST', '/webhooks', { url: receiver.url, event_types: ['consent.granted', 'consent.withdrawn'] })).body.secret;
    for (const key of PURPOSES) expect((await server.api('POST', '/consent-purposes', { key, texts: texts(key) })).status).toBe(201);
  });
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
  });

  const record = (id: string, purpose: string, decision: string, version = 1) =>
    server.api('POST', `/customers/${id}/consents`, { purpose, version, decision, channel: 'phone', locale: 'sv', agent_id: 'agent-7' });

  it('records a decision taken by customer service, derives the state, releases it in the consents claim and announces it', async () => {
    const who = { email: 'consenting@example.se', password: 'a consenting passphrase' };
    const id = (await server.api('POST', '/customers', who)).body.id;
    expect((await record(id, 'social_media_ads', 'granted')).status).toBe(201);
    expect((await record(id, 'profiling', 'declined')).status).toBe(201);

    const consents = (await server.api('GET', `/customers/${id}/consents`)).body;
    expect(consents.consents).toEqual([
      { purpose: 'social_media_ads', state: 'granted', version: 1, current_version: 1, decided_at: expect.any(Number), effective: true },
      { purpose: 'partner_sharing', state: 'not_asked', version: null, current_version: 1, decided_at: null, effective: false },
      { purpose: 'profiling', state: 'declined', version: 1, current_version: 1, decided_at: expect.any(Number), effective: false },
    ]);
    const purposes = (await server.api('GET', '/consent-purposes')).body.purposes;
    const adsHash = purposes.find((purpose: { key: string }) => purpose.key === 'social_media_ads').text_hash;
    expect(consents.history.find((entry: { purpose: string }) => entry.purpose === 'social_media_ads')).toMatchObject({ text_hash: adsHash, actor_type: 'agent', actor_id: 'agent-7', channel: 'phone' });

    const hooks = await receiver.waitFor(1);
    expect(hooks[0]).toMatchObject({ type: 'consent.granted', signatureValid: true, data: { purpose: 'social_media_ads', version: 1, customer_id: id } });

    const tokens = await rp.callback(await new CookieAgent().authorize(await rp.authorizationUrl({ scope: 'openid consents' }), server.url, who));
    expect(await rp.userinfo(tokens.access_token, id)).toMatchObject({ consents: [{ purpose: 'social_media_ads', version: 1 }] });

    expect((await record(id, 'social_media_ads', 'withdrawn')).status).toBe(201);
    expect((await receiver.waitFor(2))[1]).toMatchObject({ type: 'consent.withdrawn', signatureValid: true });
    expect((await rp.userinfo(tokens.access_token, id)).consents).toEqual([]);
  });

  it('versions a purpose when its texts change; a version asking fresh consent voids earlier grants', async () => {
    const id = (await server.api('POST', '/customers', { email: 'versioned@example.se' })).body.id;
    await record(id, 'partner_sharing', 'granted');
    expect(await server.api('POST', '/consent-purposes/partner_sharing/versions', { texts: texts('partner_sharing'), requires_fresh_consent: false })).toMatchObject({ status: 409, body: { error: 'texts_unchanged' } });
    expect(await server.api('POST', '/consent-purposes/partner_sharing/versions', { requires_fresh_consent: false })).toMatchObject({ status: 409, body: { error: 'texts_unchanged' } });
    const v2 = await server.api('POST', '/consent-purposes/partner_sharing/versions', { texts: texts('sharing with partners'), requires_fresh_consent: true });
    expect(v2.body).toMatchObject({ version: 2, requires_fresh_consent: true });
    expect((await record(id, 'partner_sharing', 'granted', 1)).body).toMatchObject({ error: 'wrong_version' });
    const state = (await server.api('GET', `/customers/${id}/consents`)).body.consents.find((entry: { purpose: string }) => entry.purpose === 'partner_sharing');
    expect(state).toMatchObject({ state: 'granted', version: 1, current_version: 2, effective: false });
    const audience = async () => (await server.api('GET', '/consent-purposes/partner_sharing/customers')).body.customers;
    expect(await audience()).not.toContain(id);
    // A later version that does not ask again leaves the v1 grant void: v2 asked, and v1 never covered it.
    expect((await server.api('POST', '/consent-purposes/partner_sharing/versions', { texts: texts('sharing with our partners'), requires_fresh_consent: false })).body).toMatchObject({ version: 3 });
    const afterV3 = (await server.api('GET', `/customers/${id}/consents`)).body.consents.find((entry: { purpose: string }) => entry.purpose === 'partner_sharing');
    expect(afterV3).toMatchObject({ state: 'granted', version: 1, current_version: 3, effective: false });
    expect(await audience()).not.toContain(id);
    expect((await record(id, 'partner_sharing', 'granted', 3)).status).toBe(201);
    expect(await audience()).toContain(id);
  });

  it('lists the audience of a purpose with a cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = (await server.api('POST', '/customers', { email: `audience${i}@example.se` })).body.id;
      ids.push(id);
      await record(id, 'profiling', i === 2 ? 'declined' : 'granted');
    }
    const expected = ids.filter((_, i) => i !== 2).sort();
    const first = (await server.api('GET', '/consent-purposes/profiling/customers?limit=3')).body;
    expect(first.customers).toEqual(expected.slice(0, 3));
    const rest = (await server.api('GET', `/consent-purposes/profiling/customers?limit=3&after=${first.next}`)).body;
    expect(rest).toEqual({ customers: expected.slice(3), next: null });
  });

  it('refuses unknown purposes, wrong versions and forged actor fields with a 4xx, writing nothing', async () => {
    const id = (await server.api('POST', '/customers', { email: 'refused@example.se' })).body.id;
    const count = async () => (await server.portvakt.store.db.selectFrom('consent_records').select(({ fn }) => fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
    const before = Number(await count());
    const base = { purpose: 'profiling', version: 1, decision: 'granted', channel: 'web', locale: 'en', agent_id: 'agent-1' };
    for (const body of [
      { ...base, purpose: 'no_such_purpose' },
      { ...base, version: 9 },
      { ...base, actor_type: 'customer' },
      { ...base, actor_id: 'someone-else' },
      { ...base, decision: 'maybe' },
      { ...base, channel: 'telepathy' },
      { ...base, purpose: 'Profiling; drop table' },
    ]) {
      const answer = await server.api('POST', `/customers/${id}/consents`, body);
      expect(answer.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
    }
    expect((await server.api('POST', '/customers/00000000-0000-4000-8000-000000000000/consents', base)).status).toBe(404);
    expect(Number(await count())).toBe(before);
  });

  it('asks at the next sign-in, once, when a purpose gets a version that needs fresh consent; declining voids the old grant', async () => {
    const who = { email: 'asked-again@example.se', password: 'a passphrase asked again' };
    const id = (await server.api('POST', '/customers', who)).body.id;
    const current = async (key: string) => (await server.api('GET', '/consent-purposes')).body.purposes.find((purpose: { key: string }) => purpose.key === key).version;
    for (const key of PURPOSES) await record(id, key, key === 'profiling' ? 'granted' : 'declined', await current(key));
    expect(await new CookieAgent().authorize(await rp.authorizationUrl(), server.url, who)).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);

    const v = await server.api('POST', '/consent-purposes/profiling/versions', { texts: texts('profiling, now with purchase history'), requires_fresh_consent: true });
    const agent = new CookieAgent();
    const landing = await agent.follow(await rp.authorizationUrl({ scope: 'openid consents' }), server.url);
    const signedIn = await agent.postForm(`${landing.url}/password`, { csrf: csrfOf(await landing.response.text()), ...who });
    const due = await agent.follow(new URL(signedIn.headers.get('location')!, server.url).toString(), server.url);
    expect(due.url).toMatch(/\/consents$/);
    const page = await due.response.text();
    expect([...page.matchAll(/name="shown" value="([^"]+)"/g)].map((match) => match[1])).toEqual([`profiling:${v.body.version}`]);
    const declined = await agent.postForm(due.url, { csrf: csrfOf(page), shown: `profiling:${v.body.version}` });
    const landed = await agent.follow(new URL(declined.headers.get('location')!, server.url).toString(), server.url);
    const tokens = await rp.callback(landed.url);
    expect((await rp.userinfo(tokens.access_token, id)).consents).toEqual([]);
    const history = (await server.api('GET', `/customers/${id}/consents`)).body.history.filter((entry: { purpose: string }) => entry.purpose === 'profiling');
    expect(history.map((entry: { decision: string; version: number; actor_type: string }) => [entry.decision, entry.version, entry.actor_type])).toEqual([
      ['declined', v.body.version, 'customer'],
      ['granted', v.body.version - 1, 'agent'],
    ]);
    // Asked once: the next sign-in goes straight through.
    const again = new CookieAgent();
    const next = await again.follow(await rp.authorizationUrl(), server.url);
    const answer = await again.postForm(`${next.url}/password`, { csrf: csrfOf(await next.response.text()), ...who });
    expect((await again.follow(new URL(answer.headers.get('location')!, server.url).toString(), server.url)).url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
  });

  it('asks everyone again without new texts: a version with requires_fresh_consent and the same texts voids earlier grants', async () => {
    const who = { email: 'asked-once-more@example.se', password: 'a passphrase asked once more' };
    const id = (await server.api('POST', '/customers', who)).body.id;
    const purpose = async (key: string) => (await server.api('GET', '/consent-purposes')).body.purposes.find((entry: { key: string }) => entry.key === key);
    for (const key of PURPOSES) await record(id, key, 'granted', (await purpose(key)).version);
    expect(await new CookieAgent().authorize(await rp.authorizationUrl(), server.url, who)).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    const before = await purpose('social_media_ads');
    const audience = async () => (await server.api('GET', '/consent-purposes/social_media_ads/customers')).body.customers;
    expect(await audience()).toContain(id);

    const again = await server.api('POST', '/consent-purposes/social_media_ads/versions', { requires_fresh_consent: true });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body).toMatchObject({ version: before.version + 1, requires_fresh_consent: true, text_hash: before.text_hash, texts: before.texts });
    // The same texts given explicitly ask again too.
    const sameTexts = await server.api('POST', '/consent-purposes/social_media_ads/versions', { texts: before.texts, requires_fresh_consent: true });
    expect(sameTexts.body).toMatchObject({ version: before.version + 2, text_hash: before.text_hash });
    const state = (await server.api('GET', `/customers/${id}/consents`)).body.consents.find((entry: { purpose: string }) => entry.purpose === 'social_media_ads');
    expect(state).toMatchObject({ state: 'granted', version: before.version, current_version: before.version + 2, effective: false });
    expect(await audience()).not.toContain(id);

    // Asked at the next sign-in, this purpose only; granting it again makes it count.
    const agent = new CookieAgent();
    const landing = await agent.follow(await rp.authorizationUrl(), server.url);
    const signedIn = await agent.postForm(`${landing.url}/password`, { csrf: csrfOf(await landing.response.text()), ...who });
    const due = await agent.follow(new URL(signedIn.headers.get('location')!, server.url).toString(), server.url);
    expect(due.url).toMatch(/\/consents$/);
    const page = await due.response.text();
    const shown = `social_media_ads:${before.version + 2}`;
    expect([...page.matchAll(/name="shown" value="([^"]+)"/g)].map((match) => match[1])).toEqual([shown]);
    const granted = await agent.postForm(due.url, { csrf: csrfOf(page), shown, consent: 'social_media_ads' });
    expect((await agent.follow(new URL(granted.headers.get('location')!, server.url).toString(), server.url)).url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    expect(await audience()).toContain(id);
    const entry = await server.portvakt.store.db.selectFrom('audit_log').select('details').where('action', '=', 'consent_purpose.versioned').where('subject_id', '=', 'social_media_ads').orderBy('seq', 'desc').executeTakeFirstOrThrow();
    expect(JSON.parse(entry.details)).toMatchObject({ requires_fresh_consent: true, texts_changed: false });
  });
});
