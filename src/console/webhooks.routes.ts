import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DomainError, notFound } from '../errors/domain-error.ts';
import { seeOther, sendPage } from '../http/page-reply.ts';
import type { ConsoleKey } from '../i18n/console-en.ts';
import type { FieldErrors } from '../pages/console/console-layout.ts';
import { webhookFormPage, webhookPage, webhooksPage, type DeliveryRow, type WebhookRow, type WebhookValues } from '../pages/console/webhooks.page.ts';
import type { ConsoleInput, ConsoleSteps } from './console-steps.ts';
import { correctable, refusalFields, withTexts } from './operation-refusals.ts';

/** Deliveries shown at a time. */
export const DELIVERY_PAGE_SIZE = 25;
const SUBSCRIPTION = /^whk_[0-9a-f-]{36}$/;
const DELIVERY = /^dlv_[0-9a-f-]{36}$/;
const idParams = z.object({ id: z.string().regex(SUBSCRIPTION) });
/** Event types separated by spaces or commas (the API's limits: at most 50, each a type such as customer.updated, or *). */
const eventTypes = z
  .string()
  .max(5000)
  .default('')
  .transform((value) => value.split(/[\s,]+/).filter(Boolean))
  .pipe(z.array(z.string().regex(/^(\*|[a-z]+(\.[a-z_]+)+)$/)).min(1).max(50));
const newForm = z.object({ url: z.string().trim().min(1).max(2000).refine((url) => /^https?:\/\//.test(url) && URL.canParse(url)), event_types: eventTypes, description: z.string().trim().max(200).default('') });
const redeliverForm = z.object({ delivery: z.string().regex(DELIVERY), view: z.enum(['dead', '']).default('') });

const TEXTS = { url: 'settings.webhooks.error.url', event_types: 'settings.webhooks.error.events' } as const satisfies Record<string, ConsoleKey>;
const REFUSALS = { field: ([name]: string[]) => (name === 'url' || name === 'event_types' || name === 'description' ? name : undefined), texts: TEXTS };

/** `/console/webhooks…`: subscriptions (the secret shown once), their delivery log and dead letters, redelivery, through `/webhooks`. */
export function consoleWebhookRoutes(app: FastifyInstance, steps: ConsoleSteps): void {
  const hooks = async (input: ConsoleInput) => (await input.run<{ webhooks: WebhookRow[] }>('GET', '/webhooks')).webhooks;
  const drawNew = (input: ConsoleInput, status: number, values: WebhookValues, errors: FieldErrors) => sendPage(input.reply, status, webhookFormPage(input.page, { csrf: input.csrfToken, values, errors }));
  const drawHook = async (input: ConsoleInput, status: number, id: string, extra: { secret?: string; notice?: string | undefined; errors?: FieldErrors; dead?: boolean; before?: string | undefined } = {}) => {
    const hook = (await hooks(input)).find((candidate) => candidate.id === id);
    if (!hook) throw notFound('webhook subscription');
    const query = { limit: String(DELIVERY_PAGE_SIZE), ...(extra.dead ? { status: 'dead' } : {}), ...(extra.before ? { before: extra.before } : {}) };
    const log = await input.run<{ deliveries: DeliveryRow[]; next: string | null }>('GET', '/webhooks/:id/deliveries', { params: { id }, query });
    const can = { redeliver: input.allows('POST', '/webhooks/:id/deliveries/:delivery/redeliver'), redeliverDead: input.allows('POST', '/webhooks/:id/dead-letters/redeliver'), delete: input.allows('DELETE', '/webhooks/:id') };
    return sendPage(input.reply, status, webhookPage(input.page, { csrf: input.csrfToken, hook, deliveries: log.deliveries, next: log.next, dead: extra.dead ?? false, paged: extra.before !== undefined, can, secret: extra.secret, notice: extra.notice, errors: extra.errors }));
  };

  steps.mount(app, {
    method: 'GET',
    path: '/console/webhooks',
    operation: ['GET', '/webhooks'],
    handle: async (input) => {
      const deleted = (input.request.query as Record<string, unknown> | undefined)?.done === 'deleted';
      return sendPage(input.reply, 200, webhooksPage(input.page, { webhooks: await hooks(input), canCreate: input.allows('POST', '/webhooks'), notice: deleted ? input.page.t('settings.webhooks.done.deleted') : undefined }));
    },
  });
  // The form is behind the (sensitive) operation it posts to: a stale sign-in is renewed before typing.
  steps.mount(app, { method: 'GET', path: '/console/webhooks/new', operation: ['POST', '/webhooks'], handle: async (input) => drawNew(input, 200, { url: '', event_types: '', description: '' }, {}) });
  steps.mount(app, {
    method: 'POST',
    path: '/console/webhooks/new',
    operation: ['POST', '/webhooks'],
    form: newForm,
    refuse: async (input, errors) => drawNew(input, 400, typedValues(input.body), withTexts(errors, input.page.t, TEXTS)),
    handle: async (input) => {
      const { form } = input;
      const values = { url: form.url, event_types: form.event_types.join(' '), description: form.description };
      let created: WebhookRow & { secret: string };
      try {
        created = await input.run('POST', '/webhooks', { body: { url: form.url, event_types: form.event_types, ...(form.description ? { description: form.description } : {}) } });
      } catch (error) {
        const refused = correctable(error);
        return drawNew(input, refused.status, values, refusalFields(refused, input.page.t, REFUSALS));
      }
      // The secret is in this answer only: shown now, never stored in the page or shown again.
      return drawHook(input, 201, created.id, { secret: created.secret });
    },
  });
  steps.mount(app, {
    method: 'GET',
    path: '/console/webhooks/:id',
    operation: ['GET', '/webhooks/:id/deliveries'],
    params: idParams,
    handle: async (input) => {
      const query = (input.request.query ?? {}) as Record<string, unknown>;
      const before = typeof query.before === 'string' && DELIVERY.test(query.before) ? query.before : undefined;
      const notice = query.done === 'redelivered' ? input.page.t('settings.webhooks.done.redelivered') : query.done === 'redelivered_dead' ? input.page.t('settings.webhooks.done.redelivered_dead', { count: String(Number(query.count) || 0) }) : undefined;
      return drawHook(input, 200, input.params.id, { dead: query.status === 'dead', before, notice });
    },
  });
  webhookActions(app, steps, drawHook);
}

function webhookActions(app: FastifyInstance, steps: ConsoleSteps, drawHook: (input: ConsoleInput, status: number, id: string, extra: { errors?: FieldErrors; dead?: boolean }) => Promise<unknown>): void {
  steps.mount(app, {
    method: 'POST',
    path: '/console/webhooks/:id/redeliver',
    operation: ['POST', '/webhooks/:id/deliveries/:delivery/redeliver'],
    params: idParams,
    form: redeliverForm,
    handle: async (input) => {
      const dead = input.form.view === 'dead';
      try {
        await input.run('POST', '/webhooks/:id/deliveries/:delivery/redeliver', { params: { id: input.params.id, delivery: input.form.delivery } });
      } catch (error) {
        // A delivery still being tried, or gone: said in words on the subscription's page.
        if (error instanceof DomainError && error.status === 404 && error.message.includes('finished delivery')) return drawHook(input, 404, input.params.id, { dead, errors: { '': input.page.t('settings.webhooks.error.gone') } });
        throw error;
      }
      return seeOther(input.reply, `/console/webhooks/${input.params.id}?${dead ? 'status=dead&' : ''}done=redelivered`);
    },
  });
  steps.mount(app, {
    method: 'POST',
    path: '/console/webhooks/:id/redeliver-dead',
    operation: ['POST', '/webhooks/:id/dead-letters/redeliver'],
    params: idParams,
    handle: async (input) => {
      const { redelivered } = await input.run<{ redelivered: number }>('POST', '/webhooks/:id/dead-letters/redeliver', { params: input.params });
      return seeOther(input.reply, `/console/webhooks/${input.params.id}?done=redelivered_dead&count=${redelivered}`);
    },
  });
  steps.mount(app, {
    method: 'POST',
    path: '/console/webhooks/:id/delete',
    operation: ['DELETE', '/webhooks/:id'],
    params: idParams,
    handle: async (input) => {
      await input.run('DELETE', '/webhooks/:id', { params: input.params });
      return seeOther(input.reply, '/console/webhooks?done=deleted');
    },
  });
}

/** A refused form as it was typed (bounded), to draw it again. */
function typedValues(body: Record<string, unknown>): WebhookValues {
  const text = (name: string, max: number) => (typeof body[name] === 'string' ? (body[name] as string).slice(0, max) : '');
  return { url: text('url', 2000), event_types: text('event_types', 5000), description: text('description', 200) };
}
