import type { FastifyInstance } from 'fastify';
import type { Passkeys } from '../credentials/passkeys.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { sendPage } from '../http/page-reply.ts';
import type { Metrics } from '../ops/metrics.ts';
import { signInPage } from '../pages/sign-in.page.ts';
import { passkeyForm } from './interaction.forms.ts';
import { formValue, type InteractionContext } from './interaction-context.ts';
import type { SecondFactorSteps } from './second-factor.routes.ts';

export interface PasskeySignInDeps {
  interactions: InteractionContext;
  passkeys: Passkeys;
  steps: SecondFactorSteps;
  csrf: CsrfGuard;
  metrics: Metrics;
}

/**
 * Passkey sign-in on the hosted page: the script asks for options (a challenge bound to this
 * interaction), the browser's answer comes back as a form post, and the sign-in continues.
 */
export function passkeySignInRoutes(app: FastifyInstance, deps: PasskeySignInDeps): void {
  const { interactions, csrf } = deps;

  app.post('/login/:uid/passkey/options', async (request, reply) => {
    const { uid } = await interactions.loadLogin(request, reply);
    if (!csrf.verify(request, formValue(request.body, 'csrf'))) throw new DomainError('csrf', 403, 'The form had expired');
    return reply.header('cache-control', 'no-store').type('application/json').send(await deps.passkeys.authenticationOptions(`login:${uid}`));
  });

  app.post('/login/:uid/passkey', async (request, reply) => {
    const loaded = await interactions.loadLogin(request, reply);
    const { uid, page, clientName } = loaded;
    const again = (status: number, error: string) => sendPage(reply, status, signInPage(page, { uid, clientName, csrf: csrf.token(request, reply), error }));
    if (!csrf.verify(request, formValue(request.body, 'csrf'))) return again(403, page.t('error.csrf'));
    const form = passkeyForm.safeParse(request.body);
    let customerId: string;
    try {
      if (!form.success) throw new DomainError('passkey_refused', 400, 'Malformed passkey answer');
      customerId = await deps.passkeys.authenticate(`login:${uid}`, parseJson(form.data.response));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      deps.metrics.signIn('passkey', 'invalid_credentials');
      return again(400, page.t('error.passkey_refused'));
    }
    deps.metrics.signIn('passkey', 'success');
    return deps.steps.proceed(request, reply, loaded, customerId, ['hwk']);
  });
}

export function parseJson(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) throw new Error('not an object');
    return value;
  } catch {
    throw new DomainError('passkey_refused', 400, 'Malformed passkey answer');
  }
}
