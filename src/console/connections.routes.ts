import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import { connectorFor } from '../federation/connectors/registry.ts';
import { META_API_VERSION } from '../federation/connectors/meta.ts';
import { seeOther, sendPage } from '../http/page-reply.ts';
import type { ConsoleKey } from '../i18n/console-en.ts';
import type { ConsoleTranslate } from '../i18n/console-locale.ts';
import { connectionPage, storedValues, type OfferValues } from '../pages/console/connection.page.ts';
import { causeText } from '../pages/console/connection-test.page.ts';
import { CONNECTION_KINDS, connectionFormPage, connectionPresetsPage, connectionsPage, type ConnectionKind, type ConnectionRow, type ConnectionValues, type PresetFacts } from '../pages/console/connections.page.ts';
import type { ConsolePage, FieldErrors } from '../pages/console/console-layout.ts';
import type { ConsoleInput, ConsoleSteps } from './console-steps.ts';
import { checkbox } from './form-fields.ts';
import { correctable, refusalFields } from './operation-refusals.ts';
import { consoleConnectionOfferRoutes } from './connection-offer.routes.ts';
import { consoleConnectionTestRoutes } from './connection-test.routes.ts';
import { connectionRefusal, CONNECTION_TEXTS as TEXTS, presetFacts } from './connection-refusals.ts';

const KEY = /^[a-z][a-z0-9_-]{1,63}$/;
const keyParams = z.object({ key: z.string().regex(KEY) });
const lines = z
  .string()
  .max(4000)
  .default('')
  .transform((value) => value.split(/[\s,]+/).filter(Boolean));
const optional = (max: number) => z.string().trim().max(max).default('');
/** Every field any provider takes; what each needs is checked by kind (`missing`), the rest by the API. */
const fields = {
  name: optional(80),
  client_id: z.string().trim().min(1).max(500),
  client_secret: z.string().max(2000).default(''),
  team_id: optional(10),
  key_id: optional(10),
  private_key: z.string().max(4000).default(''),
  tenant: optional(64),
  allowed_tenants: lines,
  api_version: optional(10),
  scopes: optional(500),
  trust_email_verified: checkbox,
};
const newForm = z.object({ kind: z.enum(CONNECTION_KINDS), key: z.string().trim().regex(KEY), issuer: optional(2000), enabled: checkbox, ...fields });
const changeForm = z.object(fields);
type NewForm = z.infer<typeof newForm>;
type ChangeForm = z.infer<typeof changeForm>;

const DONE = { created: 'settings.connections.done.created', saved: 'settings.connections.done.saved', enabled: 'settings.connections.done.enabled', disabled: 'settings.connections.done.disabled', deleted: 'settings.connections.done.deleted' } as const satisfies Record<string, ConsoleKey>;

/** What a provider needs that the form left empty, in words. */
function missing(kind: ConnectionKind, form: Partial<NewForm>, isNew: boolean, t: ConsoleTranslate): FieldErrors {
  const required = kind === 'oidc' && isNew ? ['name', 'issuer'] : kind === 'apple' && isNew ? ['team_id', 'key_id', 'private_key'] : kind === 'meta' && isNew ? ['client_secret'] : [];
  const errors: FieldErrors = Object.fromEntries(required.filter((name) => !form[name as keyof NewForm]).map((name) => [name, t(name === 'client_secret' ? 'settings.connections.error.secret_needed' : 'error.required')]));
  if (kind === 'oidc' && isNew && form.issuer && !/^https?:\/\/[^\s]+$/.test(form.issuer)) errors.issuer = t(TEXTS.issuer);
  // A new key file replaces the key together with its team and key ID.
  if (kind === 'apple' && !isNew && form.private_key && (!form.team_id || !form.key_id)) for (const name of ['team_id', 'key_id'] as const) if (!form[name]) errors[name] = t('error.required');
  return errors;
}

/** The provider's own settings block, when the form gives one (an Apple key only with a new key file). */
function kindSettings(kind: ConnectionKind, form: ChangeForm): Record<string, unknown> {
  if (kind === 'apple') return form.private_key.trim() ? { apple: { team_id: form.team_id, key_id: form.key_id, private_key: form.private_key.trim() } } : {};
  if (kind === 'microsoft') return { microsoft: { tenant: form.tenant || 'common', allowed_tenants: form.allowed_tenants.length ? form.allowed_tenants : null } };
  if (kind === 'meta') return { meta: form.api_version ? { api_version: form.api_version } : {} };
  return {};
}

/** `/console/connections…`: upstream identity providers added from a preset, changed, turned on and off, removed and tested, through `/connections`. */
export function consoleConnectionRoutes(app: FastifyInstance, steps: ConsoleSteps): void {
  const one = (input: ConsoleInput, key: string) => input.run<ConnectionRow>('GET', '/connections/:key', { params: { key } });
  const drawNew = (input: ConsoleInput, status: number, kind: ConnectionKind, values: ConnectionValues, errors: FieldErrors) =>
    sendPage(input.reply, status, connectionFormPage(input.page, { csrf: input.csrfToken, kind, preset: presetFacts(kind), values, errors }));
  const drawConnection = async (input: ConsoleInput, status: number, key: string, extra: { values?: ConnectionValues; errors?: FieldErrors; offer?: OfferValues; notice?: string | undefined } = {}) => {
    const connection = await one(input, key);
    const can = { change: input.allows('PATCH', '/connections/:key'), test: input.allows('POST', '/connections/:key/tests'), delete: input.allows('DELETE', '/connections/:key') };
    const brands = can.change && input.allows('GET', '/brands') ? (await input.run<{ brands: Array<{ key: string; name: string }> }>('GET', '/brands')).brands : [];
    return sendPage(input.reply, status, connectionPage(input.page, { csrf: input.csrfToken, connection, preset: presetFacts(connection.kind), can, brands, ...extra }));
  };
  const done = (input: ConsoleInput) => {
    const value = (input.request.query as Record<string, unknown> | undefined)?.done;
    return typeof value === 'string' && value in DONE ? input.page.t(DONE[value as keyof typeof DONE]) : undefined;
  };

  steps.mount(app, {
    method: 'GET',
    path: '/console/connections',
    operation: ['GET', '/connections'],
    handle: async (input) => sendPage(input.reply, 200, connectionsPage(input.page, { connections: (await input.run<{ connections: ConnectionRow[] }>('GET', '/connections')).connections, canCreate: input.allows('POST', '/connections'), notice: done(input) })),
  });
  // The form is behind the (sensitive) operation it posts to: a stale sign-in is renewed before typing.
  steps.mount(app, {
    method: 'GET',
    path: '/console/connections/new',
    operation: ['POST', '/connections'],
    handle: async (input) => {
      const kind = (input.request.query as Record<string, unknown> | undefined)?.kind;
      if (!CONNECTION_KINDS.includes(kind as ConnectionKind)) return sendPage(input.reply, 200, connectionPresetsPage(input.page));
      const preset = presetFacts(kind as ConnectionKind);
      const values: ConnectionValues = { key: kind === 'oidc' ? '' : String(kind), name: '', issuer: '', client_id: '', scopes: '', trust_email_verified: preset.trust, enabled: false, team_id: '', key_id: '', tenant: 'common', allowed_tenants: '', api_version: '' };
      return drawNew(input, 200, kind as ConnectionKind, values, {});
    },
  });
  steps.mount(app, {
    method: 'POST',
    path: '/console/connections/new',
    operation: ['POST', '/connections'],
    form: newForm,
    refuse: async (input, errors) => {
      const kind = CONNECTION_KINDS.includes(input.body.kind as ConnectionKind) ? (input.body.kind as ConnectionKind) : 'oidc';
      return drawNew(input, 400, kind, typedValues(input.body), { ...missing(kind, input.body as Partial<NewForm>, true, input.page.t), ...withFieldTexts(errors, input.page.t) });
    },
    handle: async (input) => {
      const { form } = input;
      const values = typedValues(form as unknown as Record<string, unknown>);
      const absent = missing(form.kind, form, true, input.page.t);
      if (Object.keys(absent).length) return drawNew(input, 400, form.kind, values, absent);
      const body = {
        key: form.key,
        kind: form.kind,
        ...(form.name ? { name: form.name } : {}),
        ...(form.kind === 'oidc' ? { issuer: form.issuer } : {}),
        client_id: form.client_id,
        ...(form.kind === 'apple' ? {} : { client_secret: form.client_secret || null }),
        ...(form.scopes ? { scopes: form.scopes } : {}),
        trust_email_verified: form.trust_email_verified,
        enabled: form.enabled,
        ...kindSettings(form.kind, form),
      };
      try {
        await input.run('POST', '/connections', { body });
      } catch (error) {
        return drawNew(input, correctable(error).status, form.kind, values, connectionRefusal(correctable(error), input.page));
      }
      return seeOther(input.reply, `/console/connections/${form.key}?done=created`);
    },
  });
  steps.mount(app, { method: 'GET', path: '/console/connections/:key', operation: ['GET', '/connections/:key'], params: keyParams, handle: async (input) => drawConnection(input, 200, input.params.key, { notice: done(input) }) });
  steps.mount(app, {
    method: 'POST',
    path: '/console/connections/:key',
    operation: ['PATCH', '/connections/:key'],
    params: keyParams,
    form: changeForm,
    refuse: async (input, errors) => drawConnection(input, 400, input.params.key, { values: { ...typedValues(input.body), key: input.params.key }, errors: withFieldTexts(errors, input.page.t) }),
    handle: async (input) => {
      const { form, params } = input;
      const current = await one(input, params.key);
      const values = { ...typedValues(form as unknown as Record<string, unknown>), key: params.key, enabled: current.enabled };
      const absent = missing(current.kind, form, false, input.page.t);
      if (Object.keys(absent).length) return drawConnection(input, 400, params.key, { values, errors: absent });
      // Only what changed: a changed client or provider setting is checked at the provider again.
      const settings = kindSettings(current.kind, form);
      const stored = kindSettings(current.kind, { ...form, tenant: current.microsoft?.tenant ?? '', allowed_tenants: current.microsoft?.allowed_tenants ?? [], api_version: current.meta?.api_version ?? '' });
      const body = {
        name: form.name || current.name,
        ...(form.client_id !== current.client_id ? { client_id: form.client_id } : {}),
        ...(form.client_secret && current.kind !== 'apple' ? { client_secret: form.client_secret } : {}),
        ...(form.scopes ? { scopes: form.scopes } : {}),
        trust_email_verified: form.trust_email_verified,
        ...(JSON.stringify(settings) !== JSON.stringify(stored) || form.private_key.trim() ? settings : {}),
      };
      try {
        await input.run('PATCH', '/connections/:key', { params, body });
      } catch (error) {
        return drawConnection(input, correctable(error).status, params.key, { values, errors: connectionRefusal(correctable(error), input.page) });
      }
      return seeOther(input.reply, `/console/connections/${params.key}?done=saved`);
    },
  });
  connectionStateRoutes(app, steps);
  consoleConnectionTestRoutes(app, steps, drawConnection);
  consoleConnectionOfferRoutes(app, steps, drawConnection);
}

function connectionStateRoutes(app: FastifyInstance, steps: ConsoleSteps): void {
  steps.mount(app, {
    method: 'POST',
    path: '/console/connections/:key/enabled',
    operation: ['PATCH', '/connections/:key'],
    params: keyParams,
    form: z.object({ enabled: z.enum(['true', 'false']) }),
    handle: async (input) => {
      const enabled = input.form.enabled === 'true';
      await input.run('PATCH', '/connections/:key', { params: input.params, body: { enabled } });
      return seeOther(input.reply, `/console/connections/${input.params.key}?done=${enabled ? 'enabled' : 'disabled'}`);
    },
  });
  steps.mount(app, {
    method: 'POST',
    path: '/console/connections/:key/delete',
    operation: ['DELETE', '/connections/:key'],
    params: keyParams,
    handle: async (input) => {
      try {
        await input.run('DELETE', '/connections/:key', { params: input.params });
      } catch (error) {
        if (error instanceof DomainError && error.code === 'connection_in_use') {
          const { t } = input.page;
          const connection = await input.run<ConnectionRow>('GET', '/connections/:key', { params: input.params });
          const can = { change: input.allows('PATCH', '/connections/:key'), test: input.allows('POST', '/connections/:key/tests'), delete: true };
          return sendPage(input.reply, 409, connectionPage(input.page, { csrf: input.csrfToken, connection, preset: presetFacts(connection.kind), can, errors: { '': t('settings.connections.error.in_use') } }));
        }
        throw error;
      }
      return seeOther(input.reply, '/console/connections?done=deleted');
    },
  });
}

/** The form's own errors with the specific texts of some fields (not where the field was left empty). */
function withFieldTexts(errors: FieldErrors, t: ConsoleTranslate): FieldErrors {
  return Object.fromEntries(Object.entries(errors).map(([field, text]) => [field, field in TEXTS && text !== t('error.required') ? t(TEXTS[field as keyof typeof TEXTS]) : text]));
}

/** A form as it was typed (bounded; never a secret or key file), to draw it again. */
function typedValues(body: Record<string, unknown>): ConnectionValues {
  const text = (name: string, max: number) => (typeof body[name] === 'string' ? (body[name] as string).slice(0, max) : Array.isArray(body[name]) ? (body[name] as string[]).join('\n').slice(0, max) : '');
  const ticked = (name: string) => body[name] !== undefined && body[name] !== '' && body[name] !== false;
  return {
    key: text('key', 64),
    name: text('name', 80),
    issuer: text('issuer', 2000),
    client_id: text('client_id', 500),
    scopes: text('scopes', 500),
    trust_email_verified: ticked('trust_email_verified'),
    enabled: ticked('enabled'),
    team_id: text('team_id', 10),
    key_id: text('key_id', 10),
    tenant: text('tenant', 64),
    allowed_tenants: text('allowed_tenants', 4000),
    api_version: text('api_version', 10),
  };
}
