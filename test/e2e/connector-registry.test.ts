import { generateKeyPairSync } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTION_KINDS, CONNECTORS, type ConnectionKind } from '../../src/federation/connectors/registry.ts';
import { AppleIdDouble } from '../support/apple-id-double.ts';
import { CookieAgent, csrfOf } from '../support/cookie-agent.ts';
import { DIALECTS } from '../support/databases.ts';
import { MetaGraphDouble } from '../support/meta-graph-double.ts';
import type { RunningPortvakt } from '../support/portvakt-server.ts';
import type { RelyingParty } from '../support/relying-party.ts';
import { startWithShop } from '../support/shop.ts';
import { UpstreamIdp } from '../support/upstream-idp.ts';

const SECRET = 'upstream-client-secret-0123456789';
const APP_ID = '1234567890123456';
const APP_SECRET = 'meta-app-secret-0123456789abcdef';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CONNECTORS_DIR = new URL('../../src/federation/connectors/', import.meta.url);

interface Doubles {
  idp: UpstreamIdp;
  apple: AppleIdDouble;
  teamKey: ReturnType<typeof generateKeyPairSync>;
  meta: MetaGraphDouble;
}

interface Person {
  id: string;
  email: string;
  givenName: string;
}

/** For each kind: the body that creates a connection of it against a local upstream, and who is signed in there. */
interface UpstreamFixture {
  body: (doubles: Doubles) => Record<string, unknown>;
  signIn: (doubles: Doubles, person: Person) => void;
}

/** One per registered kind (a kind without one fails the type check and the first test). */
const FIXTURES: Record<ConnectionKind, UpstreamFixture> = {
  oidc: {
    body: ({ idp }) => ({ name: 'Partner ID', issuer: idp.issuer, client_id: 'portvakt', client_secret: SECRET }),
    signIn: ({ idp }, person) => (idp.signedInAs = { sub: person.id, email: person.email, email_verified: true, given_name: person.givenName }),
  },
  google: {
    body: ({ idp }) => ({ issuer: idp.issuer, client_id: 'portvakt', client_secret: SECRET }),
    signIn: ({ idp }, person) => (idp.signedInAs = { sub: person.id, email: person.email, email_verified: true, given_name: person.givenName }),
  },
  apple: {
    body: ({ apple, teamKey }) => ({ issuer: apple.issuer, client_id: 'se.example.shop.web', apple: { team_id: 'ABCDE12345', key_id: 'KEY1234567', private_key: teamKey.privateKey.export({ type: 'pkcs8', format: 'pem' }) } }),
    signIn: ({ apple }, person) => (apple.signedInAs = { sub: person.id, email: person.email, firstName: person.givenName, lastName: 'Registersson' }),
  },
  microsoft: {
    body: ({ idp }) => ({ issuer: idp.issuer, client_id: 'portvakt', client_secret: SECRET, microsoft: { tenant: 'organizations', allowed_tenants: [TENANT] } }),
    signIn: ({ idp }, person) => (idp.signedInAs = { sub: person.id, email: person.email, email_verified: true, given_name: person.givenName, tid: TENANT }),
  },
  meta: {
    body: ({ meta }) => ({ client_id: APP_ID, client_secret: APP_SECRET, meta: { endpoints: meta.endpoints } }),
    signIn: ({ meta }, person) => (meta.signedInAs = { id: person.id, name: person.givenName, email: person.email, first_name: person.givenName }),
  },
};

const keyOf = (kind: ConnectionKind) => `via-${kind}`;

describe('the connector registry', () => {
  it('holds every connector in src/federation/connectors/, each under its own kind, and has an upstream here for each', async () => {
    const files = readdirSync(CONNECTORS_DIR).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'));
    const found: string[] = [];
    for (const file of files) {
      const module = (await import(new URL(file, CONNECTORS_DIR).href)) as Record<string, unknown>;
      for (const value of Object.values(module)) {
        if (!isConnector(value)) continue;
        found.push(value.kind);
        expect(CONNECTORS[value.kind as ConnectionKind], `${file} exports connector ${value.kind}, which the registry lacks`).toBe(value);
      }
    }
    expect(found.sort()).toEqual([...CONNECTION_KINDS].sort());
    expect(Object.keys(FIXTURES).sort()).toEqual([...CONNECTION_KINDS].sort());
  });
});

/**
 * Every kind in the registry, reached through the management API and the hosted sign-in: a
 * connection of it is created (POST /connections), listed, and a new customer signs in through a
 * local upstream of that kind, the profile read the kind's way.
 */
describe.each(DIALECTS)('every registered connector on %s', (dialect) => {
  let server: RunningPortvakt;
  let shop: RelyingParty;
  let doubles: Doubles;

  beforeAll(async () => {
    ({ server, rp: shop } = await startWithShop(dialect));
    const teamKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const callbacks = CONNECTION_KINDS.map((kind) => `${server.url}/login/upstream/callback/${keyOf(kind)}`);
    doubles = { idp: await UpstreamIdp.start(callbacks, SECRET), apple: await AppleIdDouble.start(teamKey.publicKey), teamKey, meta: await MetaGraphDouble.start(APP_ID, APP_SECRET) };
  });
  afterAll(async () => {
    await server?.stop();
    await doubles?.idp.close();
    await doubles?.apple.close();
    await doubles?.meta.close();
  });

  /** "Continue with …" pressed, through the upstream (its answer redirected or posted back), to where Portvakt lands. */
  async function continueWith(agent: CookieAgent, kind: ConnectionKind) {
    const landing = await agent.follow(await shop.authorizationUrl({ scope: 'openid email profile' }), server.url);
    const started = await agent.postForm(`${landing.url}/upstream`, { csrf: csrfOf(await landing.response.text()), connection: keyOf(kind) });
    expect(started.status).toBe(303);
    const upstreamUrl = started.headers.get('location')!;
    if (!CONNECTORS[kind].preset.formPost) {
      const back = await new CookieAgent().follow(upstreamUrl, new URL(upstreamUrl).origin);
      expect(back.url.startsWith(`${server.url}/login/upstream/callback/${keyOf(kind)}?`)).toBe(true);
      return agent.follow(back.url, server.url);
    }
    const page = await (await new CookieAgent().request(upstreamUrl)).text();
    const action = /action="([^"]+)"/.exec(page)![1]!;
    expect(action).toBe(`${server.url}/login/upstream/callback/${keyOf(kind)}`);
    const fields = Object.fromEntries([...page.matchAll(/name="(\w+)" value="([^"]*)"/g)].map((match) => [match[1]!, match[2]!.replaceAll('&quot;', '"').replaceAll('&amp;', '&')]));
    const posted = await agent.postForm(action, fields);
    expect(posted.status).toBe(303);
    return agent.follow(new URL(posted.headers.get('location')!, server.url).toString(), server.url);
  }

  it.each(CONNECTION_KINDS)('%s: created and listed through the API, and signs a new customer in through its upstream', async (kind) => {
    const connector = CONNECTORS[kind];
    const created = await server.api('POST', '/connections', { key: keyOf(kind), kind, trust_email_verified: true, ...FIXTURES[kind].body(doubles) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ key: keyOf(kind), kind, scopes: connector.preset.scopes, trust_email_verified: true, redirect_uri: `${server.url}/login/upstream/callback/${keyOf(kind)}` });
    if (connector.preset.name) expect(created.body.name).toBe(connector.preset.name);
    expect((await server.api('GET', `/connections/${keyOf(kind)}`)).body).toMatchObject({ key: keyOf(kind), kind });
    const listed = (await server.api('GET', '/connections')).body.connections as Array<{ key: string; kind: string }>;
    expect(listed).toContainEqual(expect.objectContaining({ key: keyOf(kind), kind }));

    const person = { id: `1016000000000${CONNECTION_KINDS.indexOf(kind)}`, email: `${kind}.person@example.se`, givenName: `Reg${kind}` };
    FIXTURES[kind].signIn(doubles, person);
    const agent = new CookieAgent();
    const landing = await continueWith(agent, kind);
    expect(landing.url).toMatch(/\/upstream\/confirm$/);
    const confirm = await landing.response.text();
    expect(confirm).toContain(`value="${person.givenName}"`);
    expect(confirm).toContain(person.email);
    const done = await agent.postForm(landing.url, { csrf: csrfOf(confirm), given_name: person.givenName });
    const landed = await agent.follow(new URL(done.headers.get('location')!, server.url).toString(), server.url);
    const claims = (await shop.callback(landed.url)).claims()!;
    expect(claims).toMatchObject({ email: person.email, given_name: person.givenName, amr: ['fed'] });
    const identity = await server.portvakt.store.db.selectFrom('identities').selectAll().where('connection', '=', keyOf(kind)).executeTakeFirstOrThrow();
    expect(identity).toMatchObject({ subject: person.id, customer_id: claims.sub });
  });

  it('lists a connection of every registered kind', async () => {
    const listed = (await server.api('GET', '/connections')).body.connections as Array<{ kind: string }>;
    expect([...new Set(listed.map((connection) => connection.kind))].sort()).toEqual([...CONNECTION_KINDS].sort());
  });
});

function isConnector(value: unknown): value is { kind: string } {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.kind === 'string' && typeof candidate.preset === 'object' && typeof candidate.readProfile === 'function';
}
