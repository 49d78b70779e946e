import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CookieAgent } from '../support/cookie-agent.ts';
import { freePort } from '../support/free-port.ts';
import { ADMIN_KEY } from '../support/portvakt-server.ts';
import { startProcess } from '../support/portvakt-process.ts';
import { RelyingParty } from '../support/relying-party.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
const CUSTOMER = { email: 'durable@example.se', password: 'answered means on disk' };
/** Closed-loop client_credentials connections: enough that batches of several tokens are being committed when the kill lands. */
const TOKEN_LOOPS = 16;
/** Refresh-token rotations: the quiet ones stop (answered) just before the kill, the others run into it. */
const QUIET_CHAINS = 3;
const LOUD_CHAINS = 3;
const LOAD_MS = 1500;

interface Chain {
  refreshToken: string;
  /** The last request got no answer (the kill cut it): its refresh token may have been consumed unanswered. */
  cut: boolean;
}

/**
 * The durability contract of the group commit (README, "Durability of tokens and sessions"): on
 * the embedded default (SQLite, no DATABASE_URL), a server killed with SIGKILL in the middle of a
 * client_credentials and refresh-token load has, after a restart on the same data directory, every
 * token whose answer reached the client: each introspects as active.
 */
describe('group commit on the embedded default', () => {
  it('loses no token whose answer was received when the server is killed -9 under load', { timeout: 120_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portvakt-group-commit-'));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { PORTVAKT_DATA_DIR: dataDir, ISSUER: base, PORTVAKT_SECRET: 'group-commit-secret-0123456789abcdefghij', PORTVAKT_ADMIN_KEY: ADMIN_KEY, RATE_LIMIT_IP_PER_MINUTE: '0', RATE_LIMIT_CLIENT_PER_MINUTE: '0' };
    const api = async (path: string, body: unknown) => {
      const response = await fetch(`${base}/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status).toBe(201);
      return (await response.json()) as { client_id: string; client_secret: string };
    };
    const basic = (client: { client_id: string; client_secret: string }) => `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
    let child: ChildProcess = await startProcess(env, port);
    try {
      const service = await api('/clients', { client_name: 'Durable service', grant_types: ['client_credentials'] });
      const web = await api('/clients', { client_name: 'Durable web', redirect_uris: [REDIRECT], first_party: true });
      await api('/customers', CUSTOMER);
      const rp = await RelyingParty.discover(base, web.client_id, web.client_secret, REDIRECT);
      const chains: Chain[] = [];
      for (let i = 0; i < QUIET_CHAINS + LOUD_CHAINS; i++) {
        const landed = await new CookieAgent().authorize(await rp.authorizationUrl(), base, CUSTOMER);
        chains.push({ refreshToken: (await rp.callback(landed)).refresh_token!, cut: false });
      }

      let killed = false;
      let quiet = false;
      /** Access tokens whose answer arrived, with the client that may introspect them. */
      const answered: Array<{ token: string; client: typeof service }> = [];
      const serviceTokens = async () => {
        while (!killed) {
          const response = await fetch(`${base}/token`, { method: 'POST', headers: { authorization: basic(service), 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' }).catch(() => undefined);
          const body = response?.ok ? ((await response.json().catch(() => undefined)) as { access_token?: string } | undefined) : undefined;
          if (body?.access_token) answered.push({ token: body.access_token, client: service });
        }
      };
      const rotate = async (chain: Chain, stop: () => boolean) => {
        while (!stop()) {
          const response = await fetch(`${base}/token`, {
            method: 'POST',
            headers: { authorization: basic(web), 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: chain.refreshToken }).toString(),
          }).catch(() => undefined);
          const body = response?.ok ? ((await response.json().catch(() => undefined)) as { access_token?: string; refresh_token?: string } | undefined) : undefined;
          if (!body?.refresh_token) {
            // No answer: the server died; a refused rotation would be a failure of its own.
            expect(response, 'a refresh before the kill was refused').toBeUndefined();
            chain.cut = true;
            return;
          }
          chain.refreshToken = body.refresh_token;
          answered.push({ token: body.access_token!, client: web });
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      };
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const tokenLoad = Promise.all(Array.from({ length: TOKEN_LOOPS }, serviceTokens));
      const quietLoad = Promise.all(chains.slice(0, QUIET_CHAINS).map((chain) => rotate(chain, () => quiet)));
      const loudLoad = Promise.all(chains.slice(QUIET_CHAINS).map((chain) => rotate(chain, () => killed)));
      await new Promise((resolve) => setTimeout(resolve, LOAD_MS));
      quiet = true;
      await quietLoad;
      const answeredBeforeKill = answered.length;
      // No request is sent after this; an answer already under way still counts.
      killed = true;
      child.kill('SIGKILL');
      await exited;
      await Promise.all([tokenLoad, loudLoad]);
      expect(answeredBeforeKill).toBeGreaterThan(100);

      child = await startProcess(env, port);
      const introspect = async (token: string, client: typeof service) => {
        const response = await fetch(`${base}/token/introspection`, { method: 'POST', headers: { authorization: basic(client), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }).toString() });
        return ((await response.json()) as { active: boolean }).active;
      };
      const checked = [...answered, ...chains.filter((chain) => !chain.cut).map((chain) => ({ token: chain.refreshToken, client: web }))];
      const lost: string[] = [];
      for (let next = 0; next < checked.length; ) {
        const slice = checked.slice(next, (next += 32));
        const active = await Promise.all(slice.map(({ token, client }) => introspect(token, client)));
        slice.forEach(({ token }, i) => active[i] || lost.push(token));
      }
      expect(chains.filter((chain) => !chain.cut).length).toBeGreaterThanOrEqual(QUIET_CHAINS);
      expect({ checked: checked.length, lost }).toEqual({ checked: checked.length, lost: [] });
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
