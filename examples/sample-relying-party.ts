/**
 * A sample relying party for the README's first steps: the smallest web application that signs
 * its visitor in at Portvakt with the authorization code flow (PKCE, state and nonce, through
 * openid-client, from the discovery document alone) and shows the ID token it got.
 *
 *   CLIENT_ID=… CLIENT_SECRET=… npm run sample-rp
 *
 * ISSUER (default http://localhost:3000) is Portvakt; SAMPLE_RP_URL (default
 * http://127.0.0.1:3001) is where this application listens, and its redirect URI is that plus
 * /callback. A demonstration only: it keeps the requests in flight in memory and has no session.
 */
import { createServer } from 'node:http';
import * as oidc from 'openid-client';

const issuer = process.env.ISSUER ?? 'http://localhost:3000';
const base = new URL(process.env.SAMPLE_RP_URL ?? 'http://127.0.0.1:3001');
const clientId = process.env.CLIENT_ID;
const clientSecret = process.env.CLIENT_SECRET;
if (!clientId || !clientSecret) {
  process.stderr.write('sample-rp: set CLIENT_ID and CLIENT_SECRET to the client registered at Portvakt\n');
  process.exit(1);
}
const redirectUri = new URL('/callback', base).toString();

// Plain http is allowed only for a local trial: Portvakt in production is https.
const config = await oidc.discovery(new URL(issuer), clientId, { redirect_uris: [redirectUri] }, oidc.ClientSecretBasic(clientSecret), issuer.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : {});

/** The authorization requests in flight, by their state: the PKCE verifier and nonce to check the answer with. */
const inFlight = new Map<string, { verifier: string; nonce: string }>();

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (body: string) => `<!doctype html><html lang="en"><meta charset="utf-8"><title>Sample relying party</title><body style="font-family:sans-serif;max-width:48rem;margin:2rem auto">${body}</body></html>`;

const server = createServer((request, response) => {
  const url = new URL(request.url ?? '/', base);
  const answer = async () => {
    if (url.pathname === '/') {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      inFlight.set(state, { verifier, nonce });
      const authorization = oidc.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: 'openid email profile', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce });
      response.writeHead(302, { location: authorization.toString() }).end();
      return;
    }
    if (url.pathname === '/callback') {
      const state = url.searchParams.get('state') ?? '';
      const checks = inFlight.get(state);
      inFlight.delete(state);
      if (!checks) {
        response.writeHead(400, { 'content-type': 'text/html; charset=utf-8' }).end(page('<p>No sign-in of this application is in progress. <a href="/">Sign in</a></p>'));
        return;
      }
      const tokens = await oidc.authorizationCodeGrant(config, url, { pkceCodeVerifier: checks.verifier, expectedState: state, expectedNonce: checks.nonce, idTokenExpected: true });
      const claims = tokens.claims();
      process.stdout.write(`signed in: ${JSON.stringify(claims)}\n`);
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
        page(`<h1>Signed in as ${escape(String(claims?.email ?? claims?.sub))}</h1>
<p>The ID token's claims:</p><pre>${escape(JSON.stringify(claims, null, 2))}</pre>
<p>The ID token:</p><pre id="id_token" style="white-space:pre-wrap;word-break:break-all">${escape(tokens.id_token ?? '')}</pre>
<p><a href="/">Sign in again</a></p>`),
      );
      return;
    }
    response.writeHead(404).end();
  };
  answer().catch((error: unknown) => {
    process.stderr.write(`sample-rp: ${error instanceof Error ? error.message : String(error)}\n`);
    if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/html; charset=utf-8' }).end(page(`<p>The sign-in failed: ${escape(error instanceof Error ? error.message : String(error))}</p>`));
  });
});

server.listen(Number(base.port || 80), base.hostname, () => process.stdout.write(`sample relying party: open ${base.origin}/ in a browser\n`));
