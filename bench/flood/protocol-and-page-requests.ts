import { FORM_TYPE, HUGE, JSON_TYPE, KIB, REDIRECT, UUID_LIKE, type Malformed, type Method } from './api-requests.ts';

/**
 * Malformed requests for oidc-provider's protocol endpoints and the hosted pages, aimed at a live
 * client and interaction (fixtures) so they reach the checks behind them.
 */
export interface Fixtures {
  webClientId: string;
  serviceClientId: string;
  serviceSecret: string;
  uid: string;
  cookie: string;
  csrf: string;
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export function protocolRequests(f: Fixtures): Malformed[] {
  const out: Malformed[] = [];
  const add = (family: string, name: string, method: Method, path: string, headers: Record<string, string> = {}, body?: string | Buffer) =>
    out.push({ family, name, method, path, headers, ...(body === undefined ? {} : { body }) });
  const form = { 'content-type': FORM_TYPE };
  const W = encodeURIComponent(f.webClientId);
  const authBase = `client_id=${W}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT)}`;
  const pkce = 'code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256';

  // Discovery and keys.
  add('discovery', 'junk-query', 'GET', '/.well-known/openid-configuration?%00=%ff&__proto__[x]=1');
  add('discovery', 'options-junk-origin', 'OPTIONS', '/.well-known/openid-configuration', { origin: 'null', 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'x'.repeat(2000) });
  add('discovery', 'post', 'POST', '/.well-known/openid-configuration', { 'content-type': JSON_TYPE }, '{"x":1}');
  add('discovery', 'traversal', 'GET', '/.well-known/..%2f..%2fetc%2fpasswd');
  add('discovery', 'webfinger-junk', 'GET', '/.well-known/webfinger?resource=%00');
  add('jwks', 'junk-query', 'GET', '/jwks?kid=%00&kid=../../x');
  add('jwks', 'post', 'POST', '/jwks', form, 'x=1');
  add('jwks', 'options-junk', 'OPTIONS', '/jwks', { origin: 'http://\u00ff' });

  // Authorization endpoint.
  const authQueries: Array<[string, string]> = [
    ['no-params', ''],
    ['junk-client', 'client_id=%00&response_type=code'],
    ['unknown-client', `client_id=${'A'.repeat(600)}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT)}`],
    ['repeated-params', `${authBase}&client_id=other&scope=openid&scope=email&${pkce}`],
    ['huge-redirect-uri', `client_id=${W}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(`${REDIRECT}?${'a'.repeat(12 * KIB)}`)}&${pkce}`],
    ['foreign-redirect-uri', `client_id=${W}&response_type=code&scope=openid&redirect_uri=javascript:alert(1)&${pkce}`],
    ['no-pkce', authBase],
    ['pkce-plain', `${authBase}&code_challenge=abc&code_challenge_method=plain`],
    ['pkce-bad-method', `${authBase}&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S512`],
    ['pkce-short', `${authBase}&code_challenge=x&code_challenge_method=S256`],
    ['pkce-huge', `${authBase}&code_challenge=${'A'.repeat(4000)}&code_challenge_method=S256`],
    ['response-type-junk', `client_id=${W}&response_type=token%20id_token%20junk&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT)}&${pkce}`],
    ['response-mode-junk', `${authBase}&${pkce}&response_mode=web_message%00`],
    ['scope-huge', `client_id=${W}&response_type=code&scope=${'openid%20'.repeat(1500)}&redirect_uri=${encodeURIComponent(REDIRECT)}&${pkce}`],
    ['scope-missing-openid', `client_id=${W}&response_type=code&scope=%00&redirect_uri=${encodeURIComponent(REDIRECT)}&${pkce}`],
    ['prompt-junk', `${authBase}&${pkce}&prompt=none%20login%20junk`],
    ['max-age-negative', `${authBase}&${pkce}&max_age=-1`],
    ['max-age-huge', `${authBase}&${pkce}&max_age=1e309`],
    ['request-object-junk', `${authBase}&${pkce}&request=not.a.jwt`],
    ['request-object-none-alg', `${authBase}&${pkce}&request=eyJhbGciOiJub25lIn0.eyJjbGllbnRfaWQiOiJ4In0.`],
    ['request-uri-junk', `${authBase}&${pkce}&request_uri=urn:ietf:params:oauth:request_uri:%00`],
    ['claims-not-json', `${authBase}&${pkce}&claims=%7Bnot%20json`],
    ['claims-proto', `${authBase}&${pkce}&claims=${encodeURIComponent('{"__proto__":{"x":1},"userinfo":{"constructor":{"prototype":{"y":1}}}}')}`],
    ['claims-deep', `${authBase}&${pkce}&claims=${encodeURIComponent(`${'{"a":'.repeat(500)}1${'}'.repeat(500)}`)}`],
    ['ui-locales-huge', `${authBase}&${pkce}&ui_locales=${'sv-SE%20'.repeat(800)}`],
    ['state-nul', `${authBase}&${pkce}&state=%00%0d%0aSet-Cookie:%20x=1&nonce=%ff`],
    ['invalid-percent-encoding', `${authBase}&${pkce}&state=%E0%A4%A`],
    ['login-hint-huge', `${authBase}&${pkce}&login_hint=${'a'.repeat(4000)}%40x.se`],
    ['acr-values-junk', `${authBase}&${pkce}&acr_values=%00%00&id_token_hint=junk`],
    ['guest-junk', `${authBase}&${pkce}&prompt=create&guest=${'%27--'.repeat(100)}`],
    ['resource-junk', `${authBase}&${pkce}&resource=not%20a%20uri&resource=http://[::1`],
    ['dpop-jkt-junk', `${authBase}&${pkce}&dpop_jkt=%00`],
  ];
  for (const [name, query] of authQueries) add('authorize', name, 'GET', `/auth${query ? `?${query}` : ''}`);
  add('authorize', 'post-form-junk', 'POST', '/auth', form, `${authBase}&code_challenge=%00&code_challenge_method=%ff&%00=1`);
  add('authorize', 'post-json', 'POST', '/auth', { 'content-type': JSON_TYPE }, JSON.stringify({ client_id: f.webClientId, response_type: 'code' }));
  add('authorize', 'post-form-too-large', 'POST', '/auth', form, `client_id=${W}&x=${HUGE}`);
  add('authorize', 'post-multipart', 'POST', '/auth', { 'content-type': 'multipart/form-data; boundary=zz' }, '--zz\r\nContent-Disposition: form-data; name="client_id"\r\n\r\nx\r\n--zz--');
  add('authorize', 'resume-junk-uid', 'GET', '/auth/%00');
  add('authorize', 'resume-long-uid', 'GET', `/auth/${'A'.repeat(600)}`);
  add('authorize', 'resume-real-uid-no-cookie', 'GET', `/auth/${f.uid}`);
  add('authorize', 'resume-forged-cookie', 'GET', `/auth/${f.uid}`, { cookie: `_interaction_resume=${'x'.repeat(200)}; _interaction_resume.sig=junk; _session=%00` });

  // Token endpoint.
  const svc = basic(f.serviceClientId, f.serviceSecret);
  const wrongSecret = basic(f.serviceClientId, 'wrong-secret');
  const tokenCases: Array<[string, Record<string, string>, string | Buffer | undefined]> = [
    ['no-body', {}, undefined],
    ['no-auth', form, 'grant_type=client_credentials'],
    ['bad-grant-type', { ...form, authorization: svc }, 'grant_type=junk%00'],
    ['repeated-grant-type', { ...form, authorization: svc }, 'grant_type=client_credentials&grant_type=refresh_token'],
    ['wrong-secret', { ...form, authorization: wrongSecret }, 'grant_type=client_credentials'],
    ['basic-not-base64', { ...form, authorization: 'Basic !!!not-base64!!!' }, 'grant_type=client_credentials'],
    ['basic-no-colon', { ...form, authorization: `Basic ${Buffer.from('no-colon-here').toString('base64')}` }, 'grant_type=client_credentials'],
    ['basic-bad-percent', { ...form, authorization: `Basic ${Buffer.from('%E0%A4%A:%ff').toString('base64')}` }, 'grant_type=client_credentials'],
    ['basic-huge', { ...form, authorization: `Basic ${Buffer.from(`${'a'.repeat(3000)}:x`).toString('base64')}` }, 'grant_type=client_credentials'],
    ['basic-and-post-auth', { ...form, authorization: svc }, `grant_type=client_credentials&client_id=${encodeURIComponent(f.serviceClientId)}&client_secret=x`],
    ['bearer-instead-of-basic', { ...form, authorization: 'Bearer junk' }, 'grant_type=client_credentials'],
    ['scope-junk', { ...form, authorization: svc }, `grant_type=client_credentials&scope=${'portvakt:admin%20'.repeat(200)}`],
    ['resource-junk', { ...form, authorization: svc }, 'grant_type=client_credentials&resource=%00&resource=http://[::1'],
    ['auth-code-junk', form, `grant_type=authorization_code&client_id=${W}&code=%00&redirect_uri=${encodeURIComponent(REDIRECT)}&code_verifier=x`],
    ['auth-code-huge-verifier', form, `grant_type=authorization_code&client_id=${W}&code=${'A'.repeat(2000)}&code_verifier=${'b'.repeat(8000)}`],
    ['refresh-token-junk', form, `grant_type=refresh_token&client_id=${W}&refresh_token=${'r'.repeat(500)}`],
    ['device-code-junk', form, `grant_type=urn:ietf:params:oauth:grant-type:device_code&client_id=${W}&device_code=%00`],
    ['client-assertion-junk', form, 'grant_type=client_credentials&client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer&client_assertion=eyJhbGciOiJub25lIn0.e30.'],
    ['dpop-junk', { ...form, authorization: svc, dpop: 'not.a.dpop.proof' }, 'grant_type=client_credentials'],
    ['json-body', { 'content-type': JSON_TYPE, authorization: svc }, '{"grant_type":"client_credentials"}'],
    ['text-body', { 'content-type': 'text/plain', authorization: svc }, 'grant_type=client_credentials'],
    ['multipart-body', { 'content-type': 'multipart/form-data; boundary=q', authorization: svc }, '--q\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--q--'],
    ['form-too-large', { ...form, authorization: svc }, `grant_type=client_credentials&x=${HUGE}`],
    ['form-invalid-utf8', { ...form, authorization: svc }, Buffer.from([0x67, 0x72, 0x61, 0x6e, 0x74, 0x5f, 0x74, 0x79, 0x70, 0x65, 0x3d, 0xff, 0xfe, 0x25, 0x45, 0x30])],
    ['form-proto', { ...form, authorization: svc }, 'grant_type=client_credentials&__proto__=x&constructor[prototype][y]=1&hasOwnProperty=1'],
    ['form-many-params', { ...form, authorization: svc }, `grant_type=client_credentials&${Array.from({ length: 3000 }, (_, i) => `p${i}=${i}`).join('&')}`],
  ];
  for (const [name, headers, body] of tokenCases) add('token', name, 'POST', '/token', headers, body);
  add('token', 'get', 'GET', '/token?grant_type=client_credentials');
  add('token', 'options-junk', 'OPTIONS', '/token', { origin: 'null', 'access-control-request-method': '%00' });

  // Userinfo.
  add('userinfo', 'no-token', 'GET', '/me');
  add('userinfo', 'bearer-junk', 'GET', '/me', { authorization: 'Bearer %00junk' });
  add('userinfo', 'bearer-jwt-none', 'GET', '/me', { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' });
  add('userinfo', 'bearer-huge', 'GET', '/me', { authorization: `Bearer ${'A'.repeat(8 * KIB)}` });
  add('userinfo', 'two-tokens', 'GET', '/me?access_token=abc', { authorization: 'Bearer def' });
  add('userinfo', 'dpop-junk', 'GET', '/me', { authorization: 'DPoP abc', dpop: 'x.y.z' });
  add('userinfo', 'post-form-junk', 'POST', '/me', form, 'access_token=%00&access_token=x');
  add('userinfo', 'post-json', 'POST', '/me', { 'content-type': JSON_TYPE }, '{"access_token":"x"}');

  // Pushed authorization requests, introspection, revocation, device authorization.
  for (const [path, family] of [['/request', 'par'], ['/token/introspection', 'introspection'], ['/token/revocation', 'revocation'], ['/device/auth', 'device-auth']] as const) {
    add(family, 'no-auth', 'POST', path, form, 'token=x');
    add(family, 'wrong-secret', 'POST', path, { ...form, authorization: wrongSecret }, 'token=x&client_id=y');
    if (family === 'par' || family === 'device-auth') add(family, 'json-body', 'POST', path, { 'content-type': JSON_TYPE, authorization: svc }, '{"token":"x"}');
    else add(family, 'basic-not-base64', 'POST', path, { ...form, authorization: 'Basic %%%' }, 'token=x');
    add(family, 'form-too-large', 'POST', path, { ...form, authorization: svc }, `token=${HUGE}`);
    add(family, 'form-junk', 'POST', path, { ...form, authorization: svc }, `token=%00&token_type_hint=%ff&token=${'t'.repeat(3000)}&request=not.a.jwt&scope=%00`);
    add(family, 'public-client-junk', 'POST', path, form, `client_id=${W}&response_type=code&redirect_uri=javascript:x&scope=%00&code_challenge_method=none`);
  }

  // Sign-out.
  add('end-session', 'junk-hint', 'GET', '/session/end?id_token_hint=not.a.jwt&post_logout_redirect_uri=javascript:alert(1)');
  add('end-session', 'redirect-without-hint', 'GET', `/session/end?post_logout_redirect_uri=${encodeURIComponent(`${REDIRECT}?${'a'.repeat(4000)}`)}&client_id=${W}&state=%00`);
  add('end-session', 'hint-none-alg', 'GET', '/session/end?id_token_hint=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwiYXVkIjoieCJ9.');
  add('end-session', 'post-form-junk', 'POST', '/session/end', form, 'id_token_hint=%00&logout_hint=x&ui_locales=%ff');
  add('end-session', 'post-json', 'POST', '/session/end', { 'content-type': JSON_TYPE }, '{"id_token_hint":1}');
  add('end-session', 'confirm-no-xsrf', 'POST', '/session/end/confirm', form, 'logout=yes');
  add('end-session', 'confirm-junk-xsrf', 'POST', '/session/end/confirm', { ...form, cookie: '_session=x; _session.sig=y' }, `xsrf=${'x'.repeat(2000)}&logout=yes`);
  add('end-session', 'success-junk', 'GET', '/session/end/success?client_id=%00&state=%ff');

  // Device verification page.
  add('device', 'junk-user-code', 'GET', '/device?user_code=%00%27--');
  add('device', 'huge-user-code', 'GET', `/device?user_code=${'A'.repeat(4000)}`);
  add('device', 'post-no-xsrf', 'POST', '/device', form, 'user_code=ABCD-EFGH');
  add('device', 'post-junk', 'POST', '/device', form, `xsrf=x&user_code=${'%ff'.repeat(100)}&confirm=yes`);
  add('device', 'post-json', 'POST', '/device', { 'content-type': JSON_TYPE }, '{"user_code":[1]}');
  add('device', 'junk-uid', 'GET', '/device/%00');
  add('device', 'long-uid', 'GET', `/device/${'B'.repeat(600)}`);
  add('device', 'plain-unknown-uid', 'GET', '/device/abc');
  return out;
}

export function pageRequests(f: Fixtures): Malformed[] {
  const out: Malformed[] = [];
  const add = (family: string, name: string, method: Method, path: string, headers: Record<string, string> = {}, body?: string | Buffer) =>
    out.push({ family, name, method, path, headers, ...(body === undefined ? {} : { body }) });
  const form = { 'content-type': FORM_TYPE };
  const withCookie = { ...form, cookie: f.cookie };
  const U = f.uid;

  // Sign-in pages with a junk uid.
  for (const junk of ['%00', "x'--", 'A'.repeat(600), '..%2F..%2Fetc%2Fpasswd', '%ff']) add('login', `junk-uid ${junk.slice(0, 24)}`, 'GET', `/login/${junk}`);
  add('login', 'junk-uid-password', 'POST', '/login/%00/password', form, 'email=a&password=b');
  // A real uid: without its cookie, with a forged one, and with the cookie but malformed forms.
  add('login', 'real-uid-no-cookie', 'GET', `/login/${U}`);
  add('login', 'real-uid-forged-cookie', 'GET', `/login/${U}`, { cookie: `_interaction=${'x'.repeat(300)}; _interaction.sig=%00; pv_csrf=${'y'.repeat(43)}` });
  add('login', 'real-uid-huge-cookie', 'GET', `/login/${U}`, { cookie: `${f.cookie}; junk=${'c'.repeat(12 * KIB)}` });
  add('login', 'real-uid-junk-query', 'GET', `/login/${U}?lang=%00&ui_locales=${'x'.repeat(2000)}`, { cookie: f.cookie, 'accept-language': `${'xx-YY;q=0.1,'.repeat(400)}` });
  const password = `/login/${U}/password`;
  add('login', 'password-no-cookie', 'POST', password, form, 'email=a%40x.se&password=x');
  add('login', 'password-no-csrf', 'POST', password, withCookie, 'email=a%40x.se&password=x');
  add('login', 'password-junk-csrf', 'POST', password, withCookie, `csrf=${'%00'.repeat(43)}&email=a%40x.se&password=x`);
  add('login', 'password-foreign-origin', 'POST', password, { ...withCookie, origin: 'http://evil.example' }, `csrf=${f.csrf}&email=a%40x.se&password=x`);
  add('login', 'password-huge-email', 'POST', password, withCookie, `csrf=${f.csrf}&email=${'e'.repeat(12 * KIB)}&password=`);
  add('login', 'password-missing-fields', 'POST', password, withCookie, `csrf=${f.csrf}`);
  add('login', 'password-array-fields', 'POST', password, withCookie, `csrf=${f.csrf}&csrf=${f.csrf}&email=a&email=b&password[]=x`);
  add('login', 'password-form-too-large', 'POST', password, withCookie, `csrf=${f.csrf}&email=a&password=${HUGE}`);
  add('login', 'password-json', 'POST', password, { 'content-type': JSON_TYPE, cookie: f.cookie }, JSON.stringify({ csrf: f.csrf, email: 'a@x.se', password: ['x'] }));
  add('login', 'password-text', 'POST', password, { 'content-type': 'text/plain', cookie: f.cookie }, 'email=a');
  add('login', 'password-multipart', 'POST', password, { 'content-type': 'multipart/form-data; boundary=m', cookie: f.cookie }, '--m\r\nContent-Disposition: form-data; name="email"\r\n\r\na\r\n--m--');
  add('login', 'password-invalid-utf8', 'POST', password, withCookie, Buffer.concat([Buffer.from(`csrf=${f.csrf}&email=`), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('&password=%E0%A4%A')]));
  add('login', 'password-proto', 'POST', password, withCookie, `csrf=${f.csrf}&__proto__[email]=a&constructor[prototype][x]=1&email=%00&password=%00`);
  add('login', 'email-code-no-csrf', 'POST', `/login/${U}/email-code`, withCookie, 'email=not-an-address');
  add('login', 'email-code-junk', 'POST', `/login/${U}/email-code`, withCookie, `csrf=${f.csrf}&email=${'%00'.repeat(300)}`);
  add('login', 'email-code-get-junk', 'GET', `/login/${U}/email-code?email=%00`, { cookie: f.cookie });
  add('login', 'email-code-verify-junk', 'POST', `/login/${U}/email-code/verify`, withCookie, `csrf=${f.csrf}&code=${'9'.repeat(5000)}`);
  add('login', 'email-link-junk-token', 'GET', `/login/${U}/email-link?token=%00&t=${'x'.repeat(3000)}`);
  add('login', 'sms-junk', 'POST', `/login/${U}/sms`, withCookie, `csrf=${f.csrf}&phone=+0000%00`);
  add('login', 'sms-verify-junk', 'POST', `/login/${U}/sms/verify`, withCookie, 'code=abc');
  add('login', 'forgot-junk', 'POST', `/login/${U}/forgot`, withCookie, `csrf=${f.csrf}&email=${'x'.repeat(4000)}`);
  add('login', 'forgot-verify-junk', 'POST', `/login/${U}/forgot/verify`, withCookie, 'code=%00');
  add('login', 'reset-link-junk', 'GET', `/login/${U}/reset-link?token=${'%27--'.repeat(200)}`);
  add('login', 'reset-junk', 'POST', `/login/${U}/reset`, withCookie, `csrf=${f.csrf}&password=${'p'.repeat(5000)}&confirm=q`);
  add('login', 'mfa-junk', 'POST', `/login/${U}/mfa`, withCookie, `csrf=${f.csrf}&code=%00&method=junk`);
  add('login', 'mfa-enrol-junk', 'POST', `/login/${U}/mfa/enrol`, withCookie, 'secret=x');
  add('login', 'passkey-options-json', 'POST', `/login/${U}/passkey/options`, { 'content-type': JSON_TYPE, cookie: f.cookie }, '{"x":');
  add('login', 'passkey-junk', 'POST', `/login/${U}/passkey`, withCookie, `csrf=${f.csrf}&credential=${encodeURIComponent('{"id":1,"response":{"clientDataJSON":"%%%"}}')}`);
  add('login', 'passkey-register-junk', 'POST', `/login/${U}/passkey/register`, withCookie, `credential=${'{'.repeat(3000)}`);
  add('login', 'consent-junk', 'POST', `/login/${U}/consent`, withCookie, `csrf=${f.csrf}&purposes=%00&purposes[]=x`);
  add('login', 'consents-junk', 'POST', `/login/${U}/consents`, withCookie, `csrf=${f.csrf}&${'p=1&'.repeat(2000)}`);
  add('login', 'brand-seen-junk', 'POST', `/login/${U}/brand-seen`, withCookie, 'csrf=x');
  add('login', 'profile-junk', 'POST', `/login/${U}/profile`, withCookie, `csrf=${f.csrf}&birthdate=9999-99-99&given_name=${'g'.repeat(3000)}`);
  add('login', 'signup-junk-query', 'GET', `/login/${U}/signup?email=%00&given_name=${'x'.repeat(3000)}`, { cookie: f.cookie });
  add('login', 'upstream-junk', 'POST', `/login/${U}/upstream`, withCookie, `csrf=${f.csrf}&connection=%00`);
  add('login', 'upstream-callback-junk', 'GET', `/login/upstream/callback/%00?code=x&state=${'s'.repeat(3000)}`);
  add('login', 'upstream-callback-post-junk', 'POST', '/login/upstream/callback/flood_key', form, 'code=%00&state=%ff&id_token=not.a.jwt');
  add('login', 'upstream-return-junk', 'GET', `/login/${U}/upstream/return/%00?code=x`);
  add('login', 'upstream-confirm-junk', 'POST', `/login/${U}/upstream/confirm`, withCookie, 'csrf=x&password=y');

  // Account pages: no session, a forged one, junk parameters.
  const forged = { cookie: `_session=${'s'.repeat(200)}; _session.sig=junk; _session.legacy=%00` };
  for (const path of ['/account', '/account/security', '/account/privacy', '/account/connections', '/account/consents', '/account/phone', '/account/verifications', '/account/security/totp', '/account/verify-email']) {
    if (path.length % 2 === 0) add('account', `get-no-session ${path}`, 'GET', `${path}?x=%00`);
    else add('account', `get-forged-session ${path}`, 'GET', path, forged);
  }
  add('account', 'login-junk-return', 'GET', `/account/login?return=${encodeURIComponent('https://evil.example/')}&return=%00`);
  add('account', 'callback-junk', 'GET', `/account/callback?code=%00&state=${'x'.repeat(3000)}&iss=javascript:x`);
  add('account', 'callback-error', 'GET', '/account/callback?error=%ff&error_description=%3Cscript%3E');
  for (const path of ['/account/security/totp', '/account/security/totp/disable', '/account/security/recovery-codes', '/account/security/sessions/end-others', '/account/security/sessions/%00/end', '/account/security/passkeys/options', '/account/security/passkeys', `/account/security/passkeys/${'A'.repeat(600)}/remove`, '/account/privacy/erasure', '/account/privacy/export', '/account/connections/%00/remove', '/account/consents/%00', '/account/verifications/..%2f..%2f', '/account/phone', '/account/phone/verify', '/account/verify-email/send', '/account/verify-email']) {
    add('account', `post-no-session ${path.slice(0, 40)}`, 'POST', path, { ...form, ...forged }, `csrf=x&code=%00&phone=${'9'.repeat(300)}`);
  }
  add('account', 'post-json', 'POST', '/account/security/totp', { 'content-type': JSON_TYPE }, '{"code":[1]}');
  add('account', 'export-junk-token', 'GET', `/account/privacy/export/${'%27--'.repeat(50)}`);
  add('account', 'verify-email-junk', 'GET', '/verify-email?token=%00&token=x');

  // Privacy contract and callbacks.
  add('privacy', 'contract-junk-query', 'GET', '/privacy/system-contract.json?__proto__[x]=1');
  add('privacy', 'contract-post', 'POST', '/privacy/system-contract.json', { 'content-type': JSON_TYPE }, '{}');
  add('privacy', 'callback-junk-task', 'POST', '/privacy/callbacks/%00', { 'content-type': JSON_TYPE }, '{"status":"completed"}');
  add('privacy', 'callback-unknown-task', 'POST', `/privacy/callbacks/ptk_${UUID_LIKE}`, { 'content-type': JSON_TYPE, 'webhook-id': 'x', 'webhook-timestamp': '-1', 'webhook-signature': 'v1,%00' }, '{"status":"completed","request_id":1}');
  add('privacy', 'callback-malformed-json', 'POST', `/privacy/callbacks/ptk_${UUID_LIKE}`, { 'content-type': JSON_TYPE }, '{"status":');
  add('privacy', 'callback-text', 'POST', `/privacy/callbacks/ptk_${UUID_LIKE}`, { 'content-type': 'text/plain' }, 'completed');
  add('privacy', 'callback-deep', 'POST', `/privacy/callbacks/ptk_${UUID_LIKE}`, { 'content-type': JSON_TYPE }, `${'['.repeat(20000)}${']'.repeat(20000)}`);
  add('privacy', 'report-junk-id', 'GET', '/privacy-requests/%00/report.html');
  add('privacy', 'report-long-id', 'GET', `/privacy-requests/${'A'.repeat(600)}/report.html?token=x`);

  // Assets.
  for (const junk of ['%00', 'A'.repeat(600), '..%2F..%2Fetc%2Fpasswd', "x'--", '%ff', 'UPPER']) add('assets', `brand-css ${junk.slice(0, 24)}`, 'GET', `/assets/brands/${junk}.css`);
  add('assets', 'brand-logo-junk', 'GET', '/assets/brands/%00/logo');
  add('assets', 'brand-logo-unknown', 'GET', '/assets/brands/flood_key/logo');
  add('assets', 'css-junk-query', 'GET', '/assets/portvakt.css?%00', { 'if-none-match': 'x'.repeat(4000), 'if-modified-since': 'not a date' });
  add('assets', 'range-junk', 'GET', '/assets/passkeys.js', { range: 'bytes=999999-1,-5,a-b' });

  // Health and metrics.
  add('health', 'healthz-junk', 'GET', '/healthz?%00=%ff');
  add('health', 'healthz-post', 'POST', '/healthz', { 'content-type': JSON_TYPE }, '{"x":');
  add('health', 'readyz-junk-headers', 'GET', '/readyz', { 'x-forwarded-for': '%00, 999.999.999.999, ::ffff:zz', forwarded: 'for="[junk', 'x-forwarded-proto': 'gopher' });
  add('health', 'metrics-no-token', 'GET', '/metrics');
  add('health', 'metrics-junk-token', 'GET', '/metrics', { authorization: `Bearer ${'m'.repeat(4000)}` });

  // Anything else: unknown routes, odd methods, protocol-level junk (Node's parser answers those).
  add('other', 'unknown-path', 'GET', `/${'x/'.repeat(500)}`);
  add('other', 'bad-percent-path', 'GET', '/%ff%fe%');
  add('other', 'double-slash', 'GET', '//..//..//etc/passwd');
  add('other', 'asterisk-options', 'OPTIONS', '*');
  add('other', 'absolute-form', 'GET', 'http://evil.example/healthz');
  add('other', 'trace', 'TRACE', '/');
  add('other', 'many-headers', 'GET', '/healthz', Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`x-junk-${i}`, `${i}`])));
  add('other', 'header-too-large', 'GET', '/healthz', { 'x-huge': 'h'.repeat(20 * KIB) });
  add('other', 'raw-utf8-path', 'GET', '/login/\u00e5\u00e4\u00f6');
  add('other', 'header-control-char', 'GET', '/healthz', { 'x-junk': 'a\u0001b' });
  // A Host header no URL can be made of (direct exposure, no proxy in front).
  add('other', 'bad-host-port', 'GET', '/.well-known/openid-configuration', { host: 'evil.example:99999' });
  add('other', 'bad-host-bracket', 'GET', '/.well-known/openid-configuration', { host: '[::1' });
  add('other', 'bad-host-auth', 'GET', `/auth?client_id=${encodeURIComponent(f.webClientId)}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT)}&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256`, { host: 'x:abc' });
  add('other', 'bad-host-end-session', 'GET', '/session/end', { host: 'evil.example:99999' });
  add('other', 'bad-host-device', 'GET', '/device', { host: '[::1' });
  add('other', 'bad-host-login', 'GET', `/login/${U}`, { host: 'evil.example:99999', cookie: f.cookie });
  add('other', 'content-length-on-get', 'GET', '/jwks', { 'content-type': JSON_TYPE }, '{"x":1}');
  add('other', 'accept-language-junk', 'GET', '/login/%00', { 'accept-language': '*;q=%00,\u00ff;q=9,' });
  return out;
}

/** A first-party web client, a service client, and an interaction (uid, its cookies, a form's csrf). */
export async function prepareFixtures(base: string, adminKey: string): Promise<Fixtures> {
  const api = async (path: string, body: unknown) => {
    const response = await fetch(`${base}/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${adminKey}`, 'content-type': JSON_TYPE }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, string>;
  };
  const web = await api('/clients', { client_name: 'flood web', redirect_uris: [REDIRECT], first_party: true });
  const service = await api('/clients', { client_name: 'flood service', grant_types: ['client_credentials'] });
  const auth = new URL(`${base}/auth`);
  for (const [key, value] of Object.entries({ client_id: web.client_id!, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', state: 'flood' })) {
    auth.searchParams.set(key, value);
  }
  const started = await fetch(auth, { redirect: 'manual' });
  const location = started.headers.get('location');
  if (!location) throw new Error(`/auth answered ${started.status} without a location`);
  const cookies = started.headers.getSetCookie().map((c) => c.split(';')[0]!);
  const page = await fetch(new URL(location, base), { headers: { cookie: cookies.join('; ') } });
  cookies.push(...page.headers.getSetCookie().map((c) => c.split(';')[0]!));
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? 'A'.repeat(43);
  const uid = /\/login\/([^/?#]+)/.exec(location)?.[1];
  if (!uid) throw new Error(`unexpected interaction location ${location}`);
  return { webClientId: web.client_id!, serviceClientId: service.client_id!, serviceSecret: service.client_secret!, uid, cookie: cookies.join('; '), csrf };
}

