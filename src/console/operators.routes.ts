import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import { seeOther, sendPage } from '../http/page-reply.ts';
import { CONSOLE_ROLES } from '../operators/operator-accounts.ts';
import { operatorsPage, type OperatorsView } from '../pages/console/operators.page.ts';
import type { FieldErrors } from '../pages/console/console-layout.ts';
import type { ConsoleInput, ConsoleSteps } from './console-steps.ts';
import { fieldErrors } from './field-errors.ts';

const idParams = z.object({ id: z.uuid() });
/** Checkboxes arrive as one value or several. */
const roleList = z.preprocess((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]), z.array(z.enum(CONSOLE_ROLES)).min(1));
const inviteForm = z.object({ name: z.string().trim().min(1).max(100), email: z.string().trim().min(1).max(320).pipe(z.email()), roles: roleList });
const rolesForm = z.object({ roles: roleList });
const statusForm = z.object({ status: z.enum(['active', 'disabled']) });

/** `/console/operators…`: the operators page; inviting, roles and status through the `/operators` operations. */
export function consoleOperatorRoutes(app: FastifyInstance, steps: ConsoleSteps): void {
  const draw = async (input: ConsoleInput, status: number, extra: Partial<OperatorsView> = {}) => {
    const after = (input.request.query as Record<string, unknown> | undefined)?.after;
    const page = await input.run('GET', '/operators', { query: { limit: '50', ...(typeof after === 'string' ? { after } : {}) } });
    return sendPage(input.reply, status, operatorsPage(input.page, { csrf: input.csrfToken, operators: page.operators, next: page.next ?? undefined, ...extra }));
  };
  const roleErrors = (errors: FieldErrors, input: ConsoleInput) => (errors.roles ? { ...errors, roles: input.page.t('error.one_role') } : errors);
  steps.mount(app, { method: 'GET', path: '/console/operators', operation: ['GET', '/operators'], handle: async (input) => draw(input, 200) });
  steps.mount(app, {
    method: 'POST',
    path: '/console/operators',
    operation: ['POST', '/operators'],
    form: inviteForm,
    refuse: async (input, errors) => draw(input, 400, { errors: roleErrors(errors, input), invite: typed(input.body) }),
    handle: async (input) => {
      try {
        const invited = await input.run('POST', '/operators', { body: input.form });
        return draw(input, 201, { notice: input.page.t('operators.invited', { email: invited.operator.email, link: invited.invitation_url }) });
      } catch (error) {
        if (!(error instanceof DomainError) || error.status >= 500 || error.status === 403) throw error;
        return draw(input, error.status, { errors: fieldErrors(error, input.page.t, ['email', 'name', 'roles']), invite: { ...input.form } });
      }
    },
  });
  for (const [path, form] of [['roles', rolesForm], ['status', statusForm]] as const) {
    steps.mount(app, {
      method: 'POST',
      path: `/console/operators/:id/${path}`,
      operation: ['PATCH', '/operators/:id'],
      params: idParams,
      form: form as z.ZodType<{ roles?: string[]; status?: string }>,
      refuse: async (input, errors) => draw(input, 400, { errors: { '': roleErrors(errors, input).roles ?? input.page.t('error.invalid') } }),
      handle: async (input) => {
        try {
          await input.run('PATCH', '/operators/:id', { params: input.params, body: input.form });
        } catch (error) {
          if (!(error instanceof DomainError) || error.status >= 500 || error.status === 403) throw error;
          return draw(input, error.status, { errors: fieldErrors(error, input.page.t) });
        }
        // Changing one's own roles ends one's own session too: the sign-in page follows.
        return seeOther(input.reply, '/console/operators?done=saved');
      },
    });
  }
}

function typed(body: Record<string, unknown>): { email: string; name: string; roles: string[] } {
  const roles = body.roles === undefined ? [] : Array.isArray(body.roles) ? body.roles : [body.roles];
  return { email: String(body.email ?? '').slice(0, 320), name: String(body.name ?? '').slice(0, 100), roles: roles.map(String) };
}
