import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notFound } from '../errors/domain-error.ts';
import { seeOther, sendPage } from '../http/page-reply.ts';
import type { ConsoleKey } from '../i18n/console-en.ts';
import { ROLES } from '../operators/operator-roles.ts';
import { apiKeyFormPage, apiKeyPage, apiKeysPage, type ApiKeyRow, type ApiKeyValues } from '../pages/console/api-keys.page.ts';
import type { FieldErrors } from '../pages/console/console-layout.ts';
import type { ConsoleInput, ConsoleSteps } from './console-steps.ts';
import { correctable, refusalFields, withTexts } from './operation-refusals.ts';

const idParams = z.object({ id: z.string().regex(/^pvk_[A-Za-z0-9_-]{16}$/) });
/** Keys (systems, purposes) separated by spaces or commas, at most `max` (the API's limits). */
const keyList = (max: number) =>
  z
    .string()
    .max(8000)
    .default('')
    .transform((value) => value.split(/[\s,]+/).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[a-z][a-z0-9_]{1,63}$/)).max(max));
const newKeyForm = z.object({ name: z.string().trim().min(1).max(100), role: z.enum(ROLES), systems: keyList(50), consent_purposes: keyList(100), store: z.string().trim().max(64).default('') });

const TEXTS = { role: 'settings.keys.error.role', systems: 'settings.keys.error.systems', consent_purposes: 'settings.keys.error.consent_purposes', store: 'settings.keys.error.store' } as const satisfies Record<string, ConsoleKey>;
const FIELDS = ['name', 'role', 'systems', 'consent_purposes', 'store'];
const REFUSALS = { field: ([name]: string[]) => (name !== undefined && FIELDS.includes(name) ? name : undefined), texts: TEXTS };

/** `/console/api-keys…`: the management API's keys, created (the key shown once) and revoked through `/api-keys`. */
export function consoleApiKeyRoutes(app: FastifyInstance, steps: ConsoleSteps): void {
  const keys = async (input: ConsoleInput) => (await input.run<{ api_keys: ApiKeyRow[] }>('GET', '/api-keys')).api_keys;
  const drawNew = (input: ConsoleInput, status: number, values: ApiKeyValues, errors: FieldErrors) => sendPage(input.reply, status, apiKeyFormPage(input.page, { csrf: input.csrfToken, values, errors }));
  const drawKey = async (input: ConsoleInput, status: number, key: ApiKeyRow, extra: { secret?: string; notice?: string; errors?: FieldErrors } = {}) =>
    sendPage(input.reply, status, apiKeyPage(input.page, { csrf: input.csrfToken, key, canRevoke: input.allows('DELETE', '/api-keys/:id'), ...extra }));
  const find = async (input: ConsoleInput, id: string) => {
    const key = (await keys(input)).find((candidate) => candidate.id === id);
    if (!key) throw notFound('api_key');
    return key;
  };

  steps.mount(app, {
    method: 'GET',
    path: '/console/api-keys',
    operation: ['GET', '/api-keys'],
    handle: async (input) => {
      const revoked = (input.request.query as Record<string, unknown> | undefined)?.done === 'revoked';
      return sendPage(input.reply, 200, apiKeysPage(input.page, { keys: await keys(input), canCreate: input.allows('POST', '/api-keys'), ...(revoked ? { notice: input.page.t('settings.keys.done.revoked') } : {}) }));
    },
  });
  // The form is behind the (sensitive) operation it posts to: a stale sign-in is renewed before typing.
  steps.mount(app, { method: 'GET', path: '/console/api-keys/new', operation: ['POST', '/api-keys'], handle: async (input) => drawNew(input, 200, { name: '', role: 'integration', systems: '', consent_purposes: '', store: '' }, {}) });
  steps.mount(app, {
    method: 'POST',
    path: '/console/api-keys/new',
    operation: ['POST', '/api-keys'],
    form: newKeyForm,
    refuse: async (input, errors) => drawNew(input, 400, typedValues(input.body), withTexts(errors, input.page.t, TEXTS)),
    handle: async (input) => {
      const { form } = input;
      const values = { name: form.name, role: form.role, systems: form.systems.join(' '), consent_purposes: form.consent_purposes.join(' '), store: form.store };
      // Systems are what an integration key speaks for, and only that: said here in words, not in the API's English.
      if (form.role === 'integration' && form.systems.length === 0) return drawNew(input, 400, values, { systems: input.page.t('settings.keys.error.systems') });
      if (form.role !== 'integration' && form.systems.length > 0) return drawNew(input, 400, values, { systems: input.page.t('settings.keys.error.systems_role') });
      if (form.role !== 'integration' && form.consent_purposes.length > 0) return drawNew(input, 400, values, { consent_purposes: input.page.t('settings.keys.error.consent_purposes_role') });
      if ((form.role === 'store') !== (form.store !== '')) return drawNew(input, 400, values, { store: input.page.t('settings.keys.error.store') });
      let created: ApiKeyRow & { key: string };
      try {
        const integration = form.role === 'integration';
        const body = { name: form.name, role: form.role, systems: integration ? form.systems : null, consent_purposes: integration && form.consent_purposes.length > 0 ? form.consent_purposes : null, store: form.role === 'store' ? form.store : null };
        created = await input.run('POST', '/api-keys', { body });
      } catch (error) {
        return drawNew(input, correctable(error).status, values, refusalFields(correctable(error), input.page.t, REFUSALS));
      }
      // The key is in this answer only: shown now, never stored or shown again.
      const { key, ...row } = created;
      return drawKey(input, 201, row, { secret: key });
    },
  });
  steps.mount(app, { method: 'GET', path: '/console/api-keys/:id', operation: ['GET', '/api-keys'], params: idParams, handle: async (input) => drawKey(input, 200, await find(input, input.params.id)) });
  steps.mount(app, {
    method: 'POST',
    path: '/console/api-keys/:id/revoke',
    operation: ['DELETE', '/api-keys/:id'],
    params: idParams,
    handle: async (input) => {
      await input.run('DELETE', '/api-keys/:id', { params: input.params });
      return seeOther(input.reply, '/console/api-keys?done=revoked');
    },
  });
}

/** A refused form as it was typed (bounded), to draw it again. */
function typedValues(body: Record<string, unknown>): ApiKeyValues {
  const text = (name: string, max: number) => (typeof body[name] === 'string' ? (body[name] as string).slice(0, max) : '');
  return { name: text('name', 100), role: text('role', 20), systems: text('systems', 4000), consent_purposes: text('consent_purposes', 8000), store: text('store', 64) };
}
