import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.ts';
import { sendJson } from '../support/http-double-io.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';

const UPSTREAM_TIMEOUT_MS = 1000;

/** An upstream that answers discovery wrongly, in the way its path says. */
async function brokenUpstream(): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const [, how] = (request.url ?? '').split('/');
    const metadata = (issuer: string) => ({ issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`, response_types_supported: ['code'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'] });
    if (how === 'mismatch') return sendJson(response, 200, metadata('https://someone-else.example'));
    if (how === 'status') return sendJson(response, 500, { error: 'server_error' });
    if (how === 'html') return response.writeHead(200, { 'content-type': 'text/html' }).end('<html>a login page</html>');
    if (how === 'slow') return; // never answers
    return sendJson(response, 404, {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

/**
 * Adding a connection whose discovery fails says why (issuer mismatch, HTTP status, not JSON,
 * timeout, TLS, a refused address) in the answer, not only "No OpenID provider answered".
 */
describe.each(DIALECTS)('upstream discovery failures on %s', (dialect) => {
  let server: RunningPortvakt;
  let upstream: { server: Server; url: string };
  beforeAll(async () => {
    server = await startPortvakt(dialect, { UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS) });
    upstream = await brokenUpstream();
  });
  afterAll(async () => {
    await server?.stop();
    upstream?.server.closeAllConnections();
    await new Promise((resolve) => upstream?.server.close(resolve));
  });

  const add = (key: string, issuer: string, on: RunningPortvakt = server) => on.api('POST', '/connections', { key, name: key, issuer, client_id: 'portvakt', client_secret: 'a-secret-never-shown-0123456789' });

  it('tells an issuer mismatch, an HTTP status, an answer that is no JSON, a timeout and a TLS failure apart', async () => {
    const cases = [
      ['mismatch', `${upstream.url}/mismatch`, 'issuer_mismatch', /someone-else\.example/],
      ['status', `${upstream.url}/status`, 'http_status', /HTTP 500/],
      ['html', `${upstream.url}/html`, 'not_json', /JSON/],
      ['slow', `${upstream.url}/slow`, 'timeout', /time/i],
      // TLS spoken to a plain HTTP server: the handshake fails.
      ['tls', upstream.url.replace('http:', 'https:'), 'tls', /TLS/],
    ] as const;
    for (const [key, issuer, cause, description] of cases) {
      const answer = await add(key, issuer);
      expect(answer.status, key).toBe(400);
      expect(answer.body.error, key).toBe('issuer_unreachable');
      expect(answer.body.details, key).toMatchObject({ cause });
      expect(answer.body.message, key).toMatch(description);
      expect(answer.body.message, key).toContain(issuer);
      expect(JSON.stringify(answer.body)).not.toContain('a-secret-never-shown');
    }
    expect((await add('status-again', `${upstream.url}/status`)).body.details).toEqual({ cause: 'http_status', status: 500 });
    expect((await server.api('GET', '/connections')).body.connections).toEqual([]);
  });

  it('says when calls out may not reach the address', async () => {
    const guarded = await startPortvakt(dialect, { OUTBOUND_ALLOW_INTERNAL: 'false' });
    try {
      const answer = await add('guarded', `${upstream.url}/mismatch`, guarded);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: 'issuer_unreachable', details: { cause: 'address_refused' } });
      expect(answer.body.message).toMatch(/OUTBOUND_ALLOW_INTERNAL/);
    } finally {
      await guarded.stop();
    }
  });
});
