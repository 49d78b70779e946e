import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { formValue, retryAfter } from '../http/interaction-context.ts';
import { seeOther, sendPage } from '../http/page-reply.ts';
import type { OperatorSessions } from '../operators/operator-sessions.ts';
import type { OperatorSignIn } from '../operators/operator-sign-in.ts';
import type { ConsolePage, FieldErrors } from '../pages/console/console-layout.ts';
import { codePage, signInPage, type SignInView } from '../pages/console/sign-in.page.ts';
import { parseJson } from '../validation/parse-input.ts';
import type { ConsoleCookies } from './console-cookies.ts';
import type { ConsoleSteps } from './console-steps.ts';
import { domainText, fieldErrors } from './field-errors.ts';

const passwordForm = z.object({ email: z.string().trim().min(1).max(320).pipe(z.email()), password: z.string().min(1).max(1024) });
const codeForm = z.object({ code: z.string().trim().regex(/^\d{6}$/) });
const passkeyForm = z.object({ response: z.string().min(1).max(20_000) });

/** Where to go after signing in: a console path, nothing else (no open redirect). */
export function consoleReturn(request: FastifyRequest): string {
  const asked = (request.query as Record<string, unknown> | undefined)?.return;
  return typeof asked === 'string' && /^\/console(\/[A-Za-z0-9/_\-.:%=&?]*)?$/.test(asked) && !asked.includes('//') ? asked : '/console';
}

interface Deps {
  steps: ConsoleSteps;
  csrf: CsrfGuard;
  cookies: ConsoleCookies;
  signIn: OperatorSignIn;
  sessions: OperatorSessions;
  idleMinutes: number;
  /** The workforce provider's name on the sign-in page, when configured. */
  workforce?: string | undefined;
}

/** `/console/sign-in…`: password then code, or a passkey; and `/console/sign-out`. */
export function consoleSignInRoutes(app: FastifyInstance, deps: Deps): void {
  const view = (request: FastifyRequest, reply: FastifyReply, extra: Partial<SignInView> = {}): SignInView => ({ csrf: deps.csrf.token(request, reply), back: consoleReturn(request), ...(deps.workforce ? { workforce: deps.workforce } : {}), ...extra });
  const draw = (request: FastifyRequest, reply: FastifyReply, status: number, render: typeof signInPage, extra: Partial<SignInView> = {}) =>
    sendPage(reply, status, render(deps.steps.anonymousPage(request, reply), view(request, reply, extra)));

  app.get('/console/sign-in', async (request, reply) => {
    const page = deps.steps.anonymousPage(request, reply);
    const query = (request.query ?? {}) as Record<string, unknown>;
    const notice = query.fresh ? page.t('signin.fresh') : query.idle ? page.t('signin.idle', { minutes: deps.idleMinutes }) : query.signed_out ? page.t('signin.signed_out') : undefined;
    return sendPage(reply, 200, signInPage(page, view(request, reply, notice ? { notice } : {})));
  });
  app.post('/console/sign-in', async (request, reply) => {
    const page = deps.steps.anonymousPage(request, reply);
    const refused = (status: number, errors: FieldErrors, email?: string) => draw(request, reply, status, signInPage, { errors, ...(email ? { email } : {}) });
    if (!deps.csrf.verify(request, formValue(request.body, 'csrf'))) return refused(403, { '': page.t('error.csrf') });
    const form = passwordForm.safeParse(request.body);
    if (!form.success) return refused(400, fieldErrors(form.error, page.t), String(formValue(request.body, 'email') ?? '').slice(0, 320));
    try {
      deps.cookies.setPending(reply, await deps.signIn.password(form.data.email, form.data.password, request.ip));
    } catch (error) {
      return refused(...refusal(error, reply, page), form.data.email);
    }
    return seeOther(reply, `/console/sign-in/code?return=${encodeURIComponent(consoleReturn(request))}`);
  });
  app.get('/console/sign-in/code', async (request, reply) => {
    if (!deps.signIn.pending(deps.cookies.pending(request))) return seeOther(reply, `/console/sign-in?return=${encodeURIComponent(consoleReturn(request))}`);
    return draw(request, reply, 200, codePage);
  });
  app.post('/console/sign-in/code', async (request, reply) => {
    const page = deps.steps.anonymousPage(request, reply);
    if (!deps.csrf.verify(request, formValue(request.body, 'csrf'))) return draw(request, reply, 403, codePage, { errors: { '': page.t('error.csrf') } });
    const form = codeForm.safeParse(request.body);
    if (!form.success) return draw(request, reply, 400, codePage, { errors: { code: page.t('error.invalid_code') } });
    try {
      const signedIn = await deps.signIn.totp(deps.cookies.pending(request), form.data.code, request.ip);
      deps.cookies.setSession(reply, signedIn.session);
    } catch (error) {
      const [status, errors] = refusal(error, reply, page);
      return draw(request, reply, status, codePage, { errors: errors[''] && status !== 429 && !(error instanceof DomainError && error.code === 'sign_in_expired') ? { code: errors[''] } : errors });
    }
    return seeOther(reply, consoleReturn(request));
  });
  passkeySignIn(app, deps, draw);
  app.post('/console/sign-out', async (request, reply) => {
    if (deps.csrf.verify(request, formValue(request.body, 'csrf'))) {
      await deps.sessions.end(deps.cookies.session(request));
      deps.cookies.clearSession(reply);
    }
    return seeOther(reply, '/console/sign-in?signed_out=1');
  });
}

type Draw = (request: FastifyRequest, reply: FastifyReply, status: number, render: typeof signInPage, extra?: Partial<SignInView>) => unknown;

function passkeySignIn(app: FastifyInstance, deps: Deps, draw: Draw): void {
  // The challenge is bound to this browser's CSRF cookie: another browser cannot redeem it.
  const flowOf = (request: FastifyRequest, reply: FastifyReply) => `console-auth:${createHash('sha256').update(deps.csrf.token(request, reply)).digest('base64url')}`;
  app.post('/console/sign-in/passkey-options', async (request, reply) => {
    if (!deps.csrf.verify(request, formValue(request.body, 'csrf'))) throw new DomainError('csrf', 403, 'The form had expired');
    return reply.type('application/json').send(await deps.signIn.passkeyOptions(flowOf(request, reply), request.ip));
  });
  app.post('/console/sign-in/passkey', async (request, reply) => {
    const page = deps.steps.anonymousPage(request, reply);
    const form = passkeyForm.safeParse(request.body);
    if (!deps.csrf.verify(request, formValue(request.body, 'csrf')) || !form.success) return draw(request, reply, 403, signInPage, { errors: { '': page.t('error.csrf') } });
    try {
      deps.cookies.setSession(reply, (await deps.signIn.passkey(flowOf(request, reply), parseJson(form.data.response))).session);
    } catch (error) {
      const [status, errors] = refusal(error, reply, page);
      return draw(request, reply, status, signInPage, { errors });
    }
    return seeOther(reply, consoleReturn(request));
  });
}

/** A refused sign-in as the page shows it (Retry-After set when throttled); anything else is thrown on. */
function refusal(error: unknown, reply: FastifyReply, page: ConsolePage): [number, FieldErrors] {
  if (!(error instanceof DomainError) || error.status >= 500) throw error;
  if (error.status === 429) retryAfter(reply, error);
  return [error.status, { '': domainText(error, page.t) }];
}
