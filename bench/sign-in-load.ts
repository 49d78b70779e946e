import autocannon from 'autocannon';

export interface PreparedSignIn {
  path: string;
  cookie: string;
  body: string;
}

/**
 * Each password sign-in needs its own interaction: begun (GET /auth, the sign-in page for its
 * cookies and CSRF token) before the load, so the load posts only the form. `emailOf(i)` chooses
 * the customer of the i-th.
 */
export async function prepareSignIns(base: string, clientId: string, count: number, emailOf: (i: number) => string, password: string): Promise<PreparedSignIn[]> {
  const prepareOne = async (i: number) => {
    const auth = new URL(`${base}/auth`);
    const params = { client_id: clientId, response_type: 'code', scope: 'openid', redirect_uri: 'http://127.0.0.1:9/cb', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', state: String(i) };
    for (const [key, value] of Object.entries(params)) auth.searchParams.set(key, value);
    const started = await fetch(auth, { redirect: 'manual' });
    const location = started.headers.get('location')!;
    const cookies = started.headers.getSetCookie().map((c) => c.split(';')[0]);
    const page = await fetch(new URL(location, base), { headers: { cookie: cookies.join('; ') } });
    cookies.push(...page.headers.getSetCookie().map((c) => c.split(';')[0]));
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    return { path: `${location}/password`, cookie: cookies.join('; '), body: new URLSearchParams({ csrf, email: emailOf(i), password }).toString() };
  };
  const prepared: PreparedSignIn[] = [];
  for (let i = 0; i < count; i += 20) {
    prepared.push(...(await Promise.all(Array.from({ length: Math.min(20, count - i) }, (_, j) => prepareOne(i + j)))));
  }
  return prepared;
}

/** Posts prepared sign-ins, each once, in order; `options` sets connections, duration and rate. */
export function postSignIns(base: string, prepared: PreparedSignIn[], options: { connections: number; duration: number; overallRate?: number }): autocannon.Instance & Promise<autocannon.Result> & { used(): number } {
  let next = 0;
  const instance = autocannon({
    url: base,
    ...options,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const item = prepared[next++ % prepared.length]!;
          return { ...request, path: item.path, body: item.body, headers: { ...request.headers, cookie: item.cookie, 'content-type': 'application/x-www-form-urlencoded' } };
        },
      },
    ],
  }) as autocannon.Instance & Promise<autocannon.Result> & { used(): number };
  instance.used = () => next;
  return instance;
}

export const statusCounts = (result: autocannon.Result): Record<string, number | undefined> =>
  Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count]));
