import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import type { CsrfGuard } from '../http/csrf.ts';
import { formValue } from '../http/interaction-context.ts';
import { seeOther, sendPage } from '../http/page-reply.ts';
import type { ConsoleKey } from '../i18n/console-en.ts';
import type { OperatorEnrolment } from '../operators/operator-enrolment.ts';
import type { FieldErrors } from '../pages/console/console-layout.ts';
import { forbiddenPage } from '../pages/console/forbidden.page.ts';
import { invitationPage } from '../pages/console/sign-in.page.ts';
import { parseJson } from '../validation/parse-input.ts';
import type { ConsoleCookies } from './console-cookies.ts';
import type { ConsoleSteps } from './console-steps.ts';
import { domainText } from './field-errors.ts';

const tokenParams = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/) });
const totpForm = z.object({ ticket: z.string().min(1).max(4096), password: z.string().max(1024), code: z.string().trim().max(16) });
const passkeyForm = z.object({ response: z.string().min(1).max(20_000) });

interface Deps {
  steps: ConsoleSteps;
  csrf: CsrfGuard;
  cookies: ConsoleCookies;
  enrolment: OperatorEnrolment;
  passwordMinLength: number;
}

/** `/console/invitation/:token`: the invited operator sets up a passkey, or a password and an authenticator app, and is signed in. */
export function consoleInvitationRoutes(app: FastifyInstance, deps: Deps): void {
  const draw = async (request: FastifyRequest, reply: FastifyReply, token: string, status: number, errors?: FieldErrors, ticket?: string) => {
    const page = deps.steps.anonymousPage(request, reply);
    const operator = await deps.enrolment.invited(token).catch(() => undefined);
    if (!operator) return sendPage(reply, 400, forbiddenPage(page, page.t('error.invitation_invalid')));
    const offer = await deps.enrolment.totpOffer(token, ticket);
    const roles = operator.roles.map((role) => page.t(`role.${role}` as ConsoleKey)).join(', ');
    const view = { token, csrf: deps.csrf.token(request, reply), name: operator.name, roles, ...offer, passwordMinLength: deps.passwordMinLength, ...(errors ? { errors } : {}) };
    return sendPage(reply, status, invitationPage(page, view));
  };
  const token = (request: FastifyRequest) => {
    const parsed = tokenParams.safeParse(request.params);
    if (!parsed.success) throw new DomainError('invitation_invalid', 400, 'This invitation link has expired or was used');
    return parsed.data.token;
  };

  app.get('/console/invitation/:token', async (request, reply) => draw(request, reply, token(request), 200));
  app.post('/console/invitation/:token/totp', async (request, reply) => {
    const invitation = token(request);
    const page = deps.steps.anonymousPage(request, reply);
    const ticket = formValue(request.body, 'ticket');
    if (!deps.csrf.verify(request, formValue(request.body, 'csrf'))) return draw(request, reply, invitation, 403, { '': page.t('error.csrf') }, ticket);
    const form = totpForm.safeParse(request.body);
    if (!form.success) return draw(request, reply, invitation, 400, { '': page.t('error.invalid') }, ticket);
    try {
      deps.cookies.setSession(reply, await deps.enrolment.acceptWithTotp(invitation, form.data));
    } catch (error) {
      if (!(error instanceof DomainError) || error.status >= 500) throw error;
      const field = error.code.startsWith('password_') ? 'password' : error.code === 'invalid_code' ? 'code' : '';
      return draw(request, reply, invitation, error.status, { [field]: domainText(error, page.t) }, ticket);
    }
    return seeOther(reply, '/console');
  });
  app.post('/console/invitation/:token/passkey-options', async (request, reply) => {
    const invitation = token(request);
    if (!deps.csrf.verify(request, formValue(request.body, 'csrf'))) throw new DomainError('csrf', 403, 'The form had expired');
    return reply.type('application/json').send(await deps.enrolment.passkeyOptions(invitation, request.ip));
  });
  app.post('/console/invitation/:token/passkey', async (request, reply) => {
    const invitation = token(request);
    const page = deps.steps.anonymousPage(request, reply);
    const form = passkeyForm.safeParse(request.body);
    if (!deps.csrf.verify(request, formValue(request.body, 'csrf')) || !form.success) return draw(request, reply, invitation, 403, { '': page.t('error.csrf') });
    try {
      deps.cookies.setSession(reply, await deps.enrolment.acceptWithPasskey(invitation, parseJson(form.data.response), 'Console passkey'));
    } catch (error) {
      if (!(error instanceof DomainError) || error.status >= 500) throw error;
      return draw(request, reply, invitation, error.status, { '': domainText(error, page.t) });
    }
    return seeOther(reply, '/console');
  });
}
