import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { seeOther, sendPage } from '../http/page-reply.ts';
import type { ConsoleKey } from '../i18n/console-en.ts';
import { clientPage, type SettingsValues } from '../pages/console/client.page.ts';
import { clientFormPage, clientsPage, type ClientKind, type ClientSummary, type ClientValues } from '../pages/console/clients.page.ts';
import type { FieldErrors } from '../pages/console/console-layout.ts';
import type { ConsoleInput, ConsoleSteps } from './console-steps.ts';
import { checkbox } from './form-fields.ts';
import { correctable, refusalFields, withTexts } from './operation-refusals.ts';

const PAGE_SIZE = 50;
const idParams = z.object({ id: z.string().min(1).max(200) });
/** Redirect URIs, one per line: each a URL, at most 50 (the API's limit). */
const uriLines = z
  .string()
  .max(110_000)
  .default('')
  .transform((value) => value.split(/\r?\n/).map((line) => line.trim()).filter(Boolean))
  .pipe(z.array(z.string().max(2000).refine((uri) => URL.canParse(uri))).min(1).max(50));
const brandChoice = z.string().max(64).default('');
const newClientForm = z.object({ client_name: z.string().trim().min(1).max(200), kind: z.enum(['web', 'spa', 'native']), redirect_uris: uriLines, first_party: checkbox, brand: brandChoice });
const editClientForm = z.object({ redirect_uris: uriLines, first_party: checkbox, brand: brandChoice });

const TEXTS = { redirect_uris: 'admin.clients.error.redirect_uris', brand: 'admin.clients.error.brand', kind: 'admin.clients.error.kind' } as const satisfies Record<string, ConsoleKey>;
const DONE = { saved: 'admin.clients.done.saved', deleted: 'admin.clients.done.deleted' } as const satisfies Record<string, ConsoleKey>;

/** Where an API detail about a client belongs on the console's forms. */
const REFUSALS = {
  field: ([name]: string[]) => (name === 'client_name' || name === 'redirect_uris' || name === 'brand' ? name : name === 'application_type' || name === 'token_endpoint_auth_method' ? 'kind' : undefined),
  codes: { invalid_redirect_uri: ['redirect_uris', 'admin.clients.error.redirect_uris'], invalid_client_metadata: ['', 'admin.clients.error.metadata'] } as Record<string, [string, ConsoleKey]>,
  texts: TEXTS,
};

/** The kind of application a client is, as the console names it (the API's application type and auth method). */
export function clientKind(client: { application_type: string; token_endpoint_auth_method: string }): ClientKind {
  if (client.application_type === 'native') return 'native';
  return client.token_endpoint_auth_method === 'none' ? 'spa' : 'web';
}

/** `/console/clients…`: the OIDC clients, registered, changed and removed through the `/clients` operations. */
export function consoleClientRoutes(app: FastifyInstance, steps: ConsoleSteps): void {
  const brands = async (input: ConsoleInput) => (await input.run<{ brands: Array<{ key: string; name: string }> }>('GET', '/brands')).brands;
  const drawNew = async (input: ConsoleInput, status: number, values: ClientValues, errors: FieldErrors) =>
    sendPage(input.reply, status, clientFormPage(input.page, { csrf: input.csrfToken, brands: await brands(input), values, errors }));
  const drawClient = async (input: ConsoleInput, status: number, id: string, extra: { secret?: string; notice?: string; errors?: FieldErrors; values?: SettingsValues } = {}) => {
    const client = await input.run<ClientSummary>('GET', '/clients/:id', { params: { id } });
    return sendPage(input.reply, status, clientPage(input.page, { csrf: input.csrfToken, client, kind: clientKind(client), brands: await brands(input), ...extra }));
  };

  steps.mount(app, {
    method: 'GET',
    path: '/console/clients',
    operation: ['GET', '/clients'],
    handle: async (input) => {
      const query = (input.request.query ?? {}) as Record<string, unknown>;
      const after = typeof query.after === 'string' && query.after.length <= 200 ? query.after : undefined;
      // One more than a page: whether a next page exists, without a count.
      const listed = (await input.run<{ clients: ClientSummary[] }>('GET', '/clients', { query: { limit: String(PAGE_SIZE + 1), ...(after ? { after } : {}) } })).clients;
      const shown = listed.slice(0, PAGE_SIZE);
      const done = typeof query.done === 'string' && query.done in DONE ? input.page.t(DONE[query.done as keyof typeof DONE]) : undefined;
      const next = listed.length > PAGE_SIZE ? shown.at(-1)!.client_id : undefined;
      return sendPage(input.reply, 200, clientsPage(input.page, { clients: shown.map((client) => ({ ...client, kind: clientKind(client) })), next, paged: after !== undefined, ...(done ? { notice: done } : {}) }));
    },
  });
  // The form is behind the operation it posts to (sensitive): a stale sign-in is renewed before typing, not after.
  steps.mount(app, { method: 'GET', path: '/console/clients/new', operation: ['POST', '/clients'], handle: async (input) => drawNew(input, 200, { kind: 'web', first_party: false, redirect_uris: '', client_name: '', brand: '' }, {}) });
  steps.mount(app, {
    method: 'POST',
    path: '/console/clients/new',
    operation: ['POST', '/clients'],
    form: newClientForm,
    refuse: async (input, errors) => drawNew(input, 400, typedValues(input.body), withTexts(errors, input.page.t, TEXTS)),
    handle: async (input) => {
      const { form } = input;
      const values: ClientValues = { ...form, redirect_uris: form.redirect_uris.join('\n') };
      if (form.brand && !(await brands(input)).some((brand) => brand.key === form.brand)) return drawNew(input, 400, values, { brand: input.page.t(TEXTS.brand) });
      const body = {
        client_name: form.client_name,
        redirect_uris: form.redirect_uris,
        first_party: form.first_party,
        brand: form.brand || null,
        application_type: form.kind === 'native' ? 'native' : 'web',
        ...(form.kind === 'spa' ? { token_endpoint_auth_method: 'none' } : {}),
      };
      let created: ClientSummary & { client_secret?: string };
      try {
        created = await input.run('POST', '/clients', { body });
      } catch (error) {
        const refused = correctable(error);
        return drawNew(input, refused.status, values, refusalFields(refused, input.page.t, REFUSALS));
      }
      // The secret is in this answer only: shown now, never stored or shown again.
      return sendPage(input.reply, 201, clientPage(input.page, { csrf: input.csrfToken, client: created, kind: clientKind(created), brands: await brands(input), created: true, ...(created.client_secret ? { secret: created.client_secret } : {}) }));
    },
  });
  steps.mount(app, {
    method: 'GET',
    path: '/console/clients/:id',
    operation: ['GET', '/clients/:id'],
    params: idParams,
    handle: async (input) => {
      const done = (input.request.query as Record<string, unknown> | undefined)?.done;
      return drawClient(input, 200, input.params.id, done === 'saved' ? { notice: input.page.t(DONE.saved) } : {});
    },
  });
  clientChanges(app, steps, { brands, drawClient });
}

function clientChanges(
  app: FastifyInstance,
  steps: ConsoleSteps,
  deps: { brands: (input: ConsoleInput) => Promise<Array<{ key: string }>>; drawClient: (input: ConsoleInput, status: number, id: string, extra?: { secret?: string; errors?: FieldErrors; values?: SettingsValues }) => Promise<unknown> },
): void {
  steps.mount(app, {
    method: 'POST',
    path: '/console/clients/:id',
    operation: ['PATCH', '/clients/:id'],
    params: idParams,
    form: editClientForm,
    refuse: async (input, errors) => deps.drawClient(input, 400, input.params.id, { errors: withTexts(errors, input.page.t, TEXTS), values: typedValues(input.body) }),
    handle: async (input) => {
      const { form } = input;
      const values: SettingsValues = { ...form, redirect_uris: form.redirect_uris.join('\n') };
      if (form.brand && !(await deps.brands(input)).some((brand) => brand.key === form.brand)) return deps.drawClient(input, 400, input.params.id, { errors: { brand: input.page.t(TEXTS.brand) }, values });
      let changed: { client_secret?: string };
      try {
        changed = await input.run('PATCH', '/clients/:id', { params: input.params, body: { redirect_uris: form.redirect_uris, first_party: form.first_party, brand: form.brand || null } });
      } catch (error) {
        const refused = correctable(error);
        return deps.drawClient(input, refused.status, input.params.id, { errors: refusalFields(refused, input.page.t, REFUSALS), values });
      }
      if (changed.client_secret) return deps.drawClient(input, 200, input.params.id, { secret: changed.client_secret });
      return seeOther(input.reply, `/console/clients/${encodeURIComponent(input.params.id)}?done=saved`);
    },
  });
  steps.mount(app, {
    method: 'POST',
    path: '/console/clients/:id/secret',
    operation: ['POST', '/clients/:id/secret'],
    params: idParams,
    handle: async (input) => {
      let renewed: { client_secret: string };
      try {
        renewed = await input.run('POST', '/clients/:id/secret', { params: input.params });
      } catch (error) {
        const refused = correctable(error);
        return deps.drawClient(input, refused.status, input.params.id, { errors: refusalFields(refused, input.page.t, { field: () => undefined, codes: { public_client: ['', 'admin.clients.error.public_client'] } }) });
      }
      return deps.drawClient(input, 200, input.params.id, { secret: renewed.client_secret });
    },
  });
  steps.mount(app, {
    method: 'POST',
    path: '/console/clients/:id/delete',
    operation: ['DELETE', '/clients/:id'],
    params: idParams,
    handle: async (input) => {
      await input.run('DELETE', '/clients/:id', { params: input.params });
      return seeOther(input.reply, '/console/clients?done=deleted');
    },
  });
}

/** A refused form as it was typed (bounded), to draw it again. */
function typedValues(body: Record<string, unknown>): ClientValues {
  const text = (name: string, max: number) => (typeof body[name] === 'string' ? (body[name] as string).slice(0, max) : '');
  const kind = body.kind === 'spa' || body.kind === 'native' ? body.kind : 'web';
  return { client_name: text('client_name', 200), kind, redirect_uris: text('redirect_uris', 110_000), first_party: body.first_party !== undefined && body.first_party !== '', brand: text('brand', 64) };
}
