import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleOperator, type ConsoleOperator } from '../support/console-operator.ts';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';

/** A 1×1 green PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const TEXTS = {
  sv_title: 'Personliga erbjudanden',
  sv_description: 'Vi använder dina köp för att ge dig erbjudanden.',
  sv_legal_text: 'Villkor för personliga erbjudanden.\nRad två.',
  en_title: 'Personal offers',
  en_description: 'We use your purchases to give you offers.',
  en_legal_text: 'Terms for personal offers.\nLine two.',
};

/** Brands, consent purposes and signing keys in the administrator's console, over HTTP (the role walls: console-admin.test.ts). */
describe.each(DIALECTS)('console brands, consent purposes and signing keys on %s', (dialect) => {
  let server: RunningPortvakt;
  let admin: ConsoleOperator;

  beforeAll(async () => {
    server = await startPortvakt(dialect);
    admin = await consoleOperator(server, { email: 'admin@example.se', name: 'Anna Admin', roles: ['admin'] });
  });
  afterAll(() => server?.stop());

  /** A multipart form post (the brand forms carry a file), with the CSRF token of `from`. */
  const postMultipart = async (path: string, fields: Record<string, string | { type: string; name: string; bytes: Buffer }>, from: string) => {
    const csrf = /name="csrf" value="([^"]+)"/.exec((await admin.page(from)).html)![1]!;
    const form = new FormData();
    form.append('csrf', csrf);
    for (const [name, value] of Object.entries(fields)) {
      if (typeof value === 'string') form.append(name, value);
      else form.append(name, new Blob([new Uint8Array(value.bytes)], { type: value.type }), value.name);
    }
    const response = await admin.agent.request(`${server.url}${path}`, { method: 'POST', body: form });
    return { status: response.status, html: await response.text(), location: response.headers.get('location') };
  };
  const brands = async () => (await server.api('GET', '/brands')).body.brands as Array<{ key: string; name: string; accent_color: string; has_logo: boolean; sender: string | null; version: number }>;

  it('adds a brand with a logo; its page and the sign-in preview show the logo from the brand assets', async () => {
    const added = await postMultipart('/console/brands', { key: 'hemma_el', name: 'Hemma El', accent_color: '#0A7D3B', sender: 'Hemma El <kund@hemmael.se>', logo: { type: 'image/png', name: 'logo.png', bytes: PNG } }, '/console/brands');
    expect(added.status, added.html.slice(0, 2000)).toBe(303);
    expect(added.location).toBe('/console/brands/hemma_el?done=created');
    const [brand] = await brands();
    expect(brand).toMatchObject({ key: 'hemma_el', name: 'Hemma El', accent_color: '#0a7d3b', has_logo: true, sender: 'Hemma El <kund@hemmael.se>' });
    const logo = await fetch(`${server.url}/assets/brands/hemma_el/logo`);
    expect(Buffer.from(await logo.arrayBuffer()).equals(PNG)).toBe(true);

    const page = await admin.page('/console/brands/hemma_el?done=created');
    expect(page.html).toContain('The brand is added.');
    expect(page.html).toContain(`src="/assets/brands/hemma_el/logo?v=${brand!.version}"`);
    const preview = await admin.page('/console/brands/hemma_el/preview');
    expect(preview.status).toBe(200);
    expect(preview.html).toContain(`<link rel="stylesheet" href="/assets/brands/hemma_el.css?v=${brand!.version}">`);
    expect(preview.html).toContain(`<img class="logo" src="/assets/brands/hemma_el/logo?v=${brand!.version}" alt="Hemma El">`);
    expect(preview.html).toContain('Preview of the sign-in page of Hemma El');
    expect(preview.html).not.toMatch(/<iframe|style=/);
    expect((await admin.page('/console/brands')).html).toContain('href="/console/brands/hemma_el"');
  });

  it('changes a brand: keeps the logo when none is chosen, removes it when asked', async () => {
    const kept = await postMultipart('/console/brands/hemma_el', { name: 'Hemma El AB', accent_color: '#112233', sender: '' }, '/console/brands/hemma_el');
    expect(kept.status).toBe(303);
    expect((await brands())[0]).toMatchObject({ name: 'Hemma El AB', accent_color: '#112233', has_logo: true, sender: null });
    // An urlencoded post works too (no file to send).
    const removed = await admin.post('/console/brands/hemma_el', { name: 'Hemma El', accent_color: '#0a7d3b', remove_logo: 'on' }, '/console/brands/hemma_el');
    expect(removed.status).toBe(303);
    expect((await brands())[0]).toMatchObject({ name: 'Hemma El', has_logo: false });
    expect((await admin.page('/console/brands/hemma_el/preview')).html).toContain('<p class="brand">Hemma El</p>');
    // Who answers for its customers' data, and its privacy notice: kept until changed, cleared when emptied.
    const named = await admin.post('/console/brands/hemma_el', { name: 'Hemma El', accent_color: '#0a7d3b', controller: 'Hemma El Sverige AB', privacy_notice_url: 'https://hemmael.se/integritet' }, '/console/brands/hemma_el');
    expect(named.status).toBe(303);
    expect((await brands())[0]).toMatchObject({ controller: 'Hemma El Sverige AB', privacy_notice_url: 'https://hemmael.se/integritet' });
    expect((await admin.page('/console/brands/hemma_el')).html).toContain('value="Hemma El Sverige AB"');
    expect((await admin.post('/console/brands/hemma_el', { name: 'Hemma El', accent_color: '#0a7d3b', controller: '', privacy_notice_url: '' }, '/console/brands/hemma_el')).status).toBe(303);
    expect((await brands())[0]).toMatchObject({ controller: null, privacy_notice_url: null });
  });

  it('refuses bad brands with the field errors in English and Swedish, 400, nothing written', async () => {
    const before = JSON.stringify(await brands());
    const audit = await server.portvakt.store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const gif = await postMultipart('/console/brands', { key: 'Bad Key', name: '', accent_color: 'green', logo: { type: 'image/gif', name: 'logo.gif', bytes: PNG } }, '/console/brands');
    expect(gif.status).toBe(400);
    expect(gif.html).toContain('Lowercase letters, digits, _ and -, 2 to 64 characters');
    expect(gif.html).toContain('Fill in this field.');
    expect(gif.html).toContain('Choose a colour (#rrggbb).');
    expect(gif.html).toContain('The logo must be a PNG or SVG file of at most 40 KB.');
    const big = await postMultipart('/console/brands/hemma_el', { name: 'Hemma El', accent_color: '#0a7d3b', logo: { type: 'image/png', name: 'big.png', bytes: Buffer.alloc(41 * 1024, 1) } }, '/console/brands/hemma_el');
    expect(big.status).toBe(400);
    expect(big.html).toContain('at most 40 KB');
    const taken = await postMultipart('/console/brands', { key: 'hemma_el', name: 'Again', accent_color: '#000000' }, '/console/brands');
    expect(taken.status).toBe(409);
    expect(taken.html).toContain('A brand with this key exists.');
    await admin.page('/console/brands?lang=sv');
    const sender = await admin.post('/console/brands/hemma_el', { name: 'Hemma El', accent_color: '#0a7d3b', sender: 'Evil\r\nBcc: all@example.se <a@b.se>' }, '/console/brands/hemma_el');
    expect(sender.status).toBe(400);
    expect(sender.html).toContain('Skriv en adress, eller');
    const svKey = await postMultipart('/console/brands', { key: 'x', name: 'X', accent_color: '#000000', logo: { type: 'text/html', name: 'x.html', bytes: Buffer.from('<script>') } }, '/console/brands');
    expect(svKey.status).toBe(400);
    expect(svKey.html).toContain('Logotypen ska vara en PNG- eller SVG-fil på högst 40 kB.');
    const notice = await admin.post('/console/brands/hemma_el', { name: 'Hemma El', accent_color: '#0a7d3b', privacy_notice_url: 'http://hemmael.se/integritet' }, '/console/brands/hemma_el');
    expect(notice.status).toBe(400);
    expect(notice.html).toContain('Skriv en https-adress, till exempel https://hemmael.se/integritet.');
    expect(notice.html).toContain('value="http://hemmael.se/integritet"');
    await admin.page('/console/brands?lang=en');
    const controller = await admin.post('/console/brands/hemma_el', { name: 'Hemma El', accent_color: '#0a7d3b', controller: 'H' }, '/console/brands/hemma_el');
    expect(controller.status).toBe(400);
    expect(controller.html).toContain('Type the company name (2 to 120 characters).');
    expect(JSON.stringify(await brands())).toBe(before);
    expect(await server.portvakt.store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).toEqual(audit);
  });

  it('creates a consent purpose with its texts in Swedish and English side by side', async () => {
    const form = await admin.page('/console/consent-purposes');
    expect(form.html).toMatch(/<fieldset lang="sv"><legend>Svenska<\/legend>[\s\S]*<fieldset lang="en"><legend>English<\/legend>/);
    const created = await admin.post('/console/consent-purposes', { key: 'profiling', brand: 'hemma_el', ...TEXTS }, '/console/consent-purposes');
    expect(created.status).toBe(303);
    expect(created.location).toBe('/console/consent-purposes/profiling?done=created');
    const [purpose] = (await server.api('GET', '/consent-purposes')).body.purposes;
    expect(purpose).toMatchObject({ key: 'profiling', brand: 'hemma_el', required: false, version: 1, texts: { sv: { title: TEXTS.sv_title, legal_text: TEXTS.sv_legal_text }, en: { title: TEXTS.en_title, description: TEXTS.en_description } } });
    const page = await admin.page('/console/consent-purposes/profiling');
    expect(page.html).toContain('<h1>Personal offers</h1>');
    expect(page.html).toContain(TEXTS.sv_description);
    expect((await admin.page('/console/consent-purposes?lang=sv')).html).toContain('>Personliga erbjudanden</a>');
    await admin.page('/console/consent-purposes?lang=en');
  });

  it('refuses bad purposes with the field errors in English and Swedish, 400 or 409, nothing written', async () => {
    const before = JSON.stringify((await server.api('GET', '/consent-purposes')).body);
    const refused = await admin.post('/console/consent-purposes', { key: 'Bad Key', ...TEXTS, en_title: '' }, '/console/consent-purposes');
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('Lowercase letters, digits and _, 2 to 64 characters');
    expect(refused.html).toMatch(/id="field-en_title-error">Fill in this field\./);
    expect(refused.html).toContain(TEXTS.sv_legal_text);
    const exists = await admin.post('/console/consent-purposes', { key: 'profiling', ...TEXTS }, '/console/consent-purposes');
    expect(exists.status).toBe(409);
    expect(exists.html).toContain('A purpose with this key exists.');
    await admin.page('/console/consent-purposes?lang=sv');
    const long = await admin.post('/console/consent-purposes', { key: 'long_one', ...TEXTS, sv_title: 'x'.repeat(121) }, '/console/consent-purposes');
    expect(long.status).toBe(400);
    expect(long.html).toMatch(/id="field-sv_title-error">Kontrollera fältet/);
    const unchanged = await admin.post('/console/consent-purposes/profiling/versions', TEXTS, '/console/consent-purposes/profiling');
    expect(unchanged.status).toBe(409);
    expect(unchanged.html).toContain('Texterna är desamma som nu.');
    await admin.page('/console/consent-purposes?lang=en');
    expect(JSON.stringify((await server.api('GET', '/consent-purposes')).body)).toBe(before);
  });

  it('publishes a new version, and asks everyone again without new texts', async () => {
    const version = await admin.post('/console/consent-purposes/profiling/versions', { ...TEXTS, en_description: 'We use your purchases and visits to give you offers.' }, '/console/consent-purposes/profiling');
    expect(version.status).toBe(303);
    expect((await server.api('GET', '/consent-purposes')).body.purposes[0]).toMatchObject({ version: 2, requires_fresh_consent: false });
    const asked = await admin.post('/console/consent-purposes/profiling/ask-again', {}, '/console/consent-purposes/profiling');
    expect(asked.status).toBe(303);
    expect(asked.location).toBe('/console/consent-purposes/profiling?done=asked');
    const current = (await server.api('GET', '/consent-purposes')).body.purposes[0];
    expect(current).toMatchObject({ version: 3, requires_fresh_consent: true, texts: { en: { description: 'We use your purchases and visits to give you offers.' } } });
    const page = await admin.page('/console/consent-purposes/profiling?done=asked');
    expect(page.html).toContain('Everyone is asked again at their next sign-in.');
    expect(page.html).toContain('asks everyone again');
    const audit = await server.portvakt.store.db.selectFrom('audit_log').select('actor_id').where('action', 'like', 'consent_purpose.%').orderBy('seq', 'desc').executeTakeFirstOrThrow();
    expect(audit.actor_id).toBe(`operator:${admin.id}`);
  });

  it('lists the signing keys and rotates them', async () => {
    const before = (await server.api('GET', '/signing-keys')).body.signing_keys as Array<{ kid: string; state: string }>;
    const page = await admin.page('/console/signing-keys');
    for (const key of before) expect(page.html).toContain(key.kid);
    expect(page.html).not.toMatch(/"d"|privateKey|BEGIN/);
    const rotated = await admin.post('/console/signing-keys/rotate', {});
    expect(rotated.status).toBe(303);
    expect(rotated.location).toBe('/console/signing-keys?done=rotated');
    const after = (await server.api('GET', '/signing-keys')).body.signing_keys as Array<{ kid: string; state: string }>;
    const active = after.filter((key) => key.state === 'active');
    expect(active.length).toBeGreaterThan(0);
    expect(active.some((key) => before.some((old) => old.kid === key.kid))).toBe(false);
    const shown = await admin.page('/console/signing-keys?done=rotated');
    expect(shown.html).toContain('Rotated: a new key signs from now on.');
    for (const key of active) expect(shown.html).toContain(key.kid);
  });

  it('removes a brand', async () => {
    const removed = await admin.post('/console/brands/hemma_el/delete', {}, '/console/brands/hemma_el');
    expect(removed.status).toBe(303);
    expect(await brands()).toEqual([]);
    expect((await admin.page('/console/brands?done=deleted')).html).toContain('No brands yet');
    expect((await admin.page('/console/brands/hemma_el')).status).toBe(404);
  });
});
