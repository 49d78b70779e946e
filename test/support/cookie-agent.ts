import { codeIn, waitForMessage } from './dev-outbox.ts';

/**
 * A user agent without a screen, for protocol tests that do not need a real browser (the
 * Chromium suite covers that): keeps cookies, follows redirects by hand and fills the hosted forms.
 */
export class CookieAgent {
  readonly #cookies = new Map<string, string>();
  /** Sent with every request unless the request sets its own (an `accept-language`, say). */
  readonly #defaults: Record<string, string>;

  constructor(defaults: Record<string, string> = {}) {
    this.#defaults = defaults;
  }

  get cookieNames(): string[] {
    return [...this.#cookies.keys()];
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(this.#defaults)) if (!headers.has(name)) headers.set(name, value);
    if (this.#cookies.size) headers.set('cookie', [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = cookie.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired) this.#cookies.delete(name);
      else this.#cookies.set(name, pair.slice(index + 1).trim());
    }
    return response;
  }

  /** Posts a form; a field given as a list is sent once per value, as checkboxes are. */
  postForm(url: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<Response> {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(fields)) for (const item of [value].flat()) body.append(name, item);
    return this.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: body.toString(),
    });
  }

  /** Follows redirects from `url` until one leaves the issuer (the client's redirect_uri) or a page renders. */
  async follow(url: string, issuer: string): Promise<{ url: string; response: Response }> {
    let current = url;
    for (let hops = 0; hops < 15; hops++) {
      const response = await this.request(current);
      const location = response.headers.get('location');
      if (!location) return { url: current, response };
      current = new URL(location, current).toString();
      if (!current.startsWith(issuer)) return { url: current, response };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** Runs the hosted sign-in (or sign-up) from an authorization URL; answers the URL it lands on. */
  async authorize(authorizationUrl: string, issuer: string, credentials: SignInAs): Promise<string> {
    const landing = await this.follow(authorizationUrl, issuer);
    if (!landing.url.startsWith(`${issuer}/login/`)) return landing.url;
    const page = await landing.response.text();
    const csrf = csrfOf(page);
    const action = credentials.signUp ? `${landing.url}/email-code` : `${landing.url}/password`;
    const fields: Record<string, string> = { csrf, email: credentials.email, password: credentials.password };
    if (credentials.signUp) Object.assign(fields, { intent: 'sign_up', given_name: credentials.givenName ?? '', family_name: credentials.familyName ?? '' });
    let submitted = await this.postForm(action, fields);
    if (credentials.signUp && submitted.status === 303) {
      // Verify-first sign-up: the code arrives in the dev outbox.
      const message = await waitForMessage(issuer, credentials.email.toLowerCase());
      submitted = await this.postForm(`${landing.url}/email-code/verify`, { csrf, code: codeIn(message.body) });
      // A new account is offered a passkey; an agent without WebAuthn says "not now".
      if (submitted.headers.get('location')?.endsWith('/passkey/offer')) submitted = await this.postForm(`${landing.url}/passkey/skip`, { csrf });
    }
    const location = submitted.headers.get('location');
    if (!location) throw new Error(`sign-in answered ${submitted.status}: ${(await submitted.text()).slice(0, 300)}`);
    let next = await this.follow(new URL(location, issuer).toString(), issuer);
    if (next.url.endsWith('/consents')) {
      // Purposes due at this sign-in: this agent declines them all (tests of consent look closer).
      const page = await next.response.text();
      const shown = [...page.matchAll(/name="shown" value="([^"]+)"/g)].map((match) => match[1]!);
      const body = new URLSearchParams({ csrf: csrfOf(page), consent_all: 'reject' });
      for (const entry of shown) body.append('shown', entry);
      const answered = await this.request(next.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
      next = await this.follow(new URL(answered.headers.get('location')!, issuer).toString(), issuer);
    }
    return next.url;
  }
}

export interface SignInAs {
  email: string;
  password: string;
  signUp?: boolean;
  givenName?: string;
  familyName?: string;
}

export function csrfOf(page: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(page);
  if (!match) throw new Error('no csrf field on the page');
  return match[1]!;
}
