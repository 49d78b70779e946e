import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import type { RunningPortvakt } from '../support/portvakt-server.ts';
import { RelyingParty } from '../support/relying-party.ts';
import { SHOP_REDIRECT, startWithShop } from '../support/shop.ts';

const texts = (title: string) => ({
  sv: { title: `${title} (sv)`, description: `Vi använder ${title}.`, legal_text: `Juridisk text för ${title}.` },
  en: { title, description: `We use ${title}.`, legal_text: `Legal text for ${title}.` },
});
type Counts = { granted: number; granted_outdated: number; declined: number; withdrawn: number };
type Figures = Counts & { purpose: string; purpose_brand: string | null; current_version: number; by_brand: Array<Counts & { brand: string | null }> };
const counts = (granted: number, declined: number, withdrawn: number, granted_outdated = 0): Counts => ({ granted, granted_outdated, declined, withdrawn });

/**
 * Consent figures: per purpose, and per brand of the client where the decision was given, how many
 * customers have granted, declined or withdrawn as their current decision. Each decision moves a
 * customer from one count to another; the figures always equal what the ledger says.
 */
describe.each(DIALECTS)('consent figures per purpose and brand on %s', (dialect) => {
  let server: RunningPortvakt;
  let kitchen: RelyingParty;

  const api = <T = any>(method: string, path: string, body?: unknown) => server.api<T>(method, path, body);
  const figures = async () => {
    const answer = await api<{ purposes: Figures[] }>('GET', '/consent-figures');
    expect(answer.status).toBe(200);
    return Object.fromEntries(answer.body.purposes.map((entry) => [entry.purpose, entry]));
  };
  const totals = async (purpose: string): Promise<Counts> => {
    const { granted, granted_outdated, declined, withdrawn } = (await figures())[purpose]!;
    return { granted, granted_outdated, declined, withdrawn };
  };
  const byBrand = async (purpose: string) => Object.fromEntries((await figures())[purpose]!.by_brand.map(({ brand, ...rest }) => [brand ?? '(none)', rest]));
  const customer = async (email: string) => (await api('POST', '/customers', { email, password: `a passphrase for ${email}` })).body.id as string;
  const decide = async (id: string, purpose: string, decision: string, version = 1) => {
    const answer = await api('POST', `/customers/${id}/consents`, { purpose, version, decision, channel: 'phone', locale: 'sv', agent_id: 'agent-1' });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  };
  /** The ledger's own answer: the audience of each state, read record by record. */
  const audience = async (purpose: string, state: string) => (await api('GET', `/consent-purposes/${purpose}/customers?state=${state}&limit=5000`)).body.customers.length as number;

  beforeAll(async () => {
    ({ server } = await startWithShop(dialect));
    for (const key of ['newsletter', 'profiling', 'stress']) expect((await api('POST', '/consent-purposes', { key, texts: texts(key) })).status).toBe(201);
    expect((await api('POST', '/consent-purposes', { key: 'kitchen_offers', brand: 'kok', texts: texts('kitchen offers') })).status).toBe(201);
    const kitchenClient = (await api('POST', '/clients', { client_name: 'Kök', redirect_uris: [SHOP_REDIRECT], first_party: true, brand: 'kok' })).body;
    kitchen = await RelyingParty.discover(server.url, kitchenClient.client_id, kitchenClient.client_secret, SHOP_REDIRECT);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('lists every purpose, with nothing counted before any decision', async () => {
    const all = await figures();
    expect(Object.keys(all)).toEqual(['newsletter', 'profiling', 'stress', 'kitchen_offers']);
    expect(all.kitchen_offers).toMatchObject({ purpose_brand: 'kok', current_version: 1, ...counts(0, 0, 0), by_brand: [] });
  });

  it('moves a customer between the counts as they grant, decline, withdraw and grant again', async () => {
    const [anna, bo] = [await customer('anna@example.se'), await customer('bo@example.se')];
    await decide(anna, 'newsletter', 'granted');
    expect(await totals('newsletter')).toEqual(counts(1, 0, 0));
    await decide(bo, 'newsletter', 'declined');
    expect(await totals('newsletter')).toEqual(counts(1, 1, 0));
    await decide(anna, 'newsletter', 'withdrawn');
    expect(await totals('newsletter')).toEqual(counts(0, 1, 1));
    await decide(anna, 'newsletter', 'granted');
    expect(await totals('newsletter')).toEqual(counts(1, 1, 0));
    await decide(bo, 'newsletter', 'granted');
    await decide(bo, 'newsletter', 'declined');
    expect(await totals('newsletter')).toEqual(counts(1, 1, 0));
    // The same decision again is a new record; the customer stays counted once.
    await decide(anna, 'newsletter', 'granted');
    expect(await totals('newsletter')).toEqual(counts(1, 1, 0));
    // Decisions on one purpose leave the others alone; customer service records at no brand.
    expect(await totals('profiling')).toEqual(counts(0, 0, 0));
    expect(await byBrand('newsletter')).toEqual({ '(none)': counts(1, 1, 0) });
  });

  it('splits by the brand of the client where the decision was given, and moves the customer when they decide elsewhere', async () => {
    const who = { email: 'kitchen-fan@example.se', password: 'a passphrase for the kitchen' };
    const id = (await api('POST', '/customers', who)).body.id as string;
    // Signing in at the kitchen chain's client: the group's purposes and the chain's own are due.
    const agent = new CookieAgent();
    const landing = await agent.follow(await kitchen.authorizationUrl(), server.url);
    const signedIn = await agent.postForm(`${landing.url}/password`, { csrf: csrfOf(await landing.response.text()), ...who });
    const due = await agent.follow(new URL(signedIn.headers.get('location')!, server.url).toString(), server.url);
    const page = await due.response.text();
    const shown = [...page.matchAll(/name="shown" value="([^"]+)"/g)].map((match) => match[1]!);
    expect(shown).toEqual(['newsletter:1', 'profiling:1', 'stress:1', 'kitchen_offers:1']);
    const answered = await agent.postForm(due.url, { csrf: csrfOf(page), shown, consent: ['newsletter', 'kitchen_offers'] });
    expect(answered.status).toBe(303);
    const history = (await api('GET', `/customers/${id}/consents`)).body.history as Array<{ purpose: string; brand: string | null }>;
    expect(history.find((entry) => entry.purpose === 'kitchen_offers')).toMatchObject({ brand: 'kok' });

    expect(await byBrand('newsletter')).toEqual({ '(none)': counts(1, 1, 0), kok: counts(1, 0, 0) });
    expect(await byBrand('profiling')).toEqual({ kok: counts(0, 1, 0) });
    expect(await totals('newsletter')).toEqual(counts(2, 1, 0));
    expect(await figures().then((all) => all.kitchen_offers)).toMatchObject({ ...counts(1, 0, 0), by_brand: [{ brand: 'kok', ...counts(1, 0, 0) }] });

    // Withdrawn by phone: the current decision is now customer service's, at no brand (a brand nobody is counted at is left out).
    await decide(id, 'newsletter', 'withdrawn');
    expect(await byBrand('newsletter')).toEqual({ '(none)': counts(1, 1, 1) });
    expect(await totals('newsletter')).toEqual(counts(1, 1, 1));
  });

  it('counts grants to a version superseded by one asking fresh consent apart, as the audience does', async () => {
    const carl = await customer('carl@example.se');
    await decide(carl, 'profiling', 'granted');
    expect(await totals('profiling')).toEqual(counts(1, 1, 0));
    expect((await api('POST', '/consent-purposes/profiling/versions', { texts: texts('profiling, now with purchase history'), requires_fresh_consent: true })).status).toBe(201);
    expect(await totals('profiling')).toEqual(counts(0, 1, 0, 1));
    expect(await audience('profiling', 'granted')).toBe(0);
    await decide(carl, 'profiling', 'granted', 2);
    expect(await totals('profiling')).toEqual(counts(1, 1, 0, 0));
    expect((await figures()).profiling!.current_version).toBe(2);
  });

  it('counts an erased customer\'s standing grants as withdrawn', async () => {
    const dora = await customer('dora@example.se');
    await decide(dora, 'stress', 'granted');
    // The kitchen fan declined it at sign-in.
    expect(await totals('stress')).toEqual(counts(1, 1, 0));
    const erasure = (await api('POST', '/privacy-requests', { customer_id: dora, kind: 'erasure', verification: 'ID checked in store 12' })).body;
    for (let i = 0; i < 200 && (await api('GET', `/customers/${dora}`)).status !== 404; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(erasure.kind).toBe('erasure');
    expect(await totals('stress')).toEqual(counts(0, 1, 1));
  });

  it('stays equal to the ledger when many decisions arrive at once', async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => customer(`busy-${i}@example.se`)));
    const before = await totals('stress');
    const decisions = ['granted', 'declined', 'withdrawn', 'granted', 'withdrawn', 'declined'];
    await Promise.all(ids.flatMap((id) => decisions.map((decision) => decide(id, 'stress', decision))));
    const figured = await totals('stress');
    expect(figured).toEqual({ granted: await audience('stress', 'granted'), granted_outdated: 0, declined: await audience('stress', 'declined'), withdrawn: await audience('stress', 'withdrawn') });
    expect(figured.granted + figured.declined + figured.withdrawn).toBe(before.granted + before.declined + before.withdrawn + ids.length);
  });

  it('is for admins and privacy officers only', async () => {
    const as = async (role: string) => {
      const key = (await api('POST', '/api-keys', { name: `figures ${role}`, role })).body.key as string;
      return (await fetch(`${server.url}/api/v1/consent-figures`, { headers: { authorization: `Bearer ${key}` } })).status;
    };
    expect(await as('privacy_officer')).toBe(200);
    expect(await as('agent')).toBe(403);
  });
});
