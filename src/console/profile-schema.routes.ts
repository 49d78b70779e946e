import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notFound } from '../errors/domain-error.ts';
import { seeOther, sendPage } from '../http/page-reply.ts';
import type { ConsoleKey } from '../i18n/console-en.ts';
import type { FieldErrors } from '../pages/console/console-layout.ts';
import { attributePage, profileSchemaPage, type AttributeRow, type AttributeValues } from '../pages/console/profile-schema.page.ts';
import { ATTRIBUTE_ASK, ATTRIBUTE_TYPES } from '../profile/attribute-types.ts';
import type { ConsoleInput, ConsoleSteps } from './console-steps.ts';
import { checkbox } from './form-fields.ts';
import { correctable, refusalFields, withTexts } from './operation-refusals.ts';

const KEY = /^[a-z][a-z0-9_]{1,63}$/;
const keyParams = z.object({ key: z.string().regex(KEY) });
/** Choices one per line, each as the API takes them (at most 100 of 100 characters). */
const optionLines = z
  .string()
  .max(20_000)
  .default('')
  .transform((value) => value.split(/\r?\n/).map((line) => line.trim()).filter(Boolean))
  .pipe(z.array(z.string().max(100)).max(100));
const attributeFields = { type: z.enum(ATTRIBUTE_TYPES), label_sv: z.string().trim().min(1).max(100), label_en: z.string().trim().min(1).max(100), options: optionLines, ask: z.enum(ATTRIBUTE_ASK), customer_editable: checkbox };
const newForm = z.object({ key: z.string().trim().regex(KEY), ...attributeFields });
const changeForm = z.object(attributeFields);
type AttributeForm = z.infer<typeof changeForm>;

const TEXTS = { key: 'settings.profile.error.key', options: 'settings.profile.error.options' } as const satisfies Record<string, ConsoleKey>;
const REFUSALS = {
  field: (path: string[]) => (path[0] === 'labels' ? `label_${path[1]}` : path[0] === 'key' || path[0] === 'type' || path[0] === 'options' || path[0] === 'ask' ? path[0] : undefined),
  codes: {
    reserved_attribute: ['key', 'settings.profile.error.reserved'],
    built_in_attribute: ['', 'settings.profile.error.built_in'],
    attribute_in_use: ['type', 'settings.profile.error.in_use'],
  } as Record<string, [string, ConsoleKey]>,
  texts: TEXTS,
};
const DONE = { saved: 'settings.profile.done.saved', removed: 'settings.profile.done.removed' } as const satisfies Record<string, ConsoleKey>;

const body = (form: AttributeForm) => ({ type: form.type, labels: { sv: form.label_sv, en: form.label_en }, options: form.type === 'enum' ? form.options : null, ask: form.ask, customer_editable: form.customer_editable });
const values = (key: string, form: AttributeForm): AttributeValues => ({ key, type: form.type, label_sv: form.label_sv, label_en: form.label_en, options: form.options.join('\n'), ask: form.ask, customer_editable: form.customer_editable });
/** Choices belong to choice attributes, and a choice attribute needs them: said here in words (the API's refusal has no field). */
const optionsError = (form: AttributeForm) => (form.type === 'enum') !== (form.options.length > 0);

/** `/console/profile-schema…`: the attributes customers may have, added, changed and removed through `/profile-schema`. */
export function consoleProfileSchemaRoutes(app: FastifyInstance, steps: ConsoleSteps): void {
  const attributes = async (input: ConsoleInput) => (await input.run<{ attributes: AttributeRow[] }>('GET', '/profile-schema')).attributes;
  const done = (input: ConsoleInput) => {
    const value = (input.request.query as Record<string, unknown> | undefined)?.done;
    return typeof value === 'string' && value in DONE ? input.page.t(DONE[value as keyof typeof DONE]) : undefined;
  };
  const drawList = async (input: ConsoleInput, status: number, extra: { values?: AttributeValues; errors?: FieldErrors; notice?: string | undefined } = {}) =>
    sendPage(input.reply, status, profileSchemaPage(input.page, { csrf: input.csrfToken, attributes: await attributes(input), ...extra }));
  const drawAttribute = async (input: ConsoleInput, status: number, key: string, extra: { values?: AttributeValues; errors?: FieldErrors; notice?: string | undefined } = {}) => {
    const attribute = (await attributes(input)).find((candidate) => candidate.key === key);
    if (!attribute) throw notFound('attribute');
    return sendPage(input.reply, status, attributePage(input.page, { csrf: input.csrfToken, attribute, ...extra }));
  };

  // Defining attributes is the administrator's (PUT): the pages stand behind that operation, as the menu does.
  steps.mount(app, { method: 'GET', path: '/console/profile-schema', operation: ['PUT', '/profile-schema/:key'], handle: async (input) => drawList(input, 200, { notice: done(input) }) });
  steps.mount(app, {
    method: 'POST',
    path: '/console/profile-schema',
    operation: ['PUT', '/profile-schema/:key'],
    form: newForm,
    refuse: async (input, errors) => drawList(input, 400, { values: typedValues(input.body), errors: withTexts(errors, input.page.t, TEXTS) }),
    handle: async (input) => {
      const { form } = input;
      const typed = values(form.key, form);
      if (optionsError(form)) return drawList(input, 400, { values: typed, errors: { options: input.page.t(TEXTS.options) } });
      // PUT adds or replaces: adding must not replace an attribute that exists.
      if ((await attributes(input)).some((attribute) => attribute.key === form.key)) return drawList(input, 409, { values: typed, errors: { key: input.page.t('settings.profile.error.exists') } });
      try {
        await input.run('PUT', '/profile-schema/:key', { params: { key: form.key }, body: body(form) });
      } catch (error) {
        const refused = correctable(error);
        return drawList(input, refused.status, { values: typed, errors: refusalFields(refused, input.page.t, REFUSALS) });
      }
      return seeOther(input.reply, '/console/profile-schema?done=saved');
    },
  });
  steps.mount(app, { method: 'GET', path: '/console/profile-schema/:key', operation: ['PUT', '/profile-schema/:key'], params: keyParams, handle: async (input) => drawAttribute(input, 200, input.params.key, { notice: done(input) }) });
  steps.mount(app, {
    method: 'POST',
    path: '/console/profile-schema/:key',
    operation: ['PUT', '/profile-schema/:key'],
    params: keyParams,
    form: changeForm,
    refuse: async (input, errors) => drawAttribute(input, 400, input.params.key, { values: { ...typedValues(input.body), key: input.params.key }, errors: withTexts(errors, input.page.t, TEXTS) }),
    handle: async (input) => {
      const { form, params } = input;
      const typed = values(params.key, form);
      if (optionsError(form)) return drawAttribute(input, 400, params.key, { values: typed, errors: { options: input.page.t(TEXTS.options) } });
      try {
        await input.run('PUT', '/profile-schema/:key', { params, body: body(form) });
      } catch (error) {
        const refused = correctable(error);
        return drawAttribute(input, refused.status, params.key, { values: typed, errors: refusalFields(refused, input.page.t, REFUSALS) });
      }
      return seeOther(input.reply, `/console/profile-schema/${params.key}?done=saved`);
    },
  });
  steps.mount(app, {
    method: 'POST',
    path: '/console/profile-schema/:key/delete',
    operation: ['DELETE', '/profile-schema/:key'],
    params: keyParams,
    handle: async (input) => {
      try {
        await input.run('DELETE', '/profile-schema/:key', { params: input.params });
      } catch (error) {
        const refused = correctable(error);
        return drawAttribute(input, refused.status, input.params.key, { errors: refusalFields(refused, input.page.t, REFUSALS) });
      }
      return seeOther(input.reply, '/console/profile-schema?done=removed');
    },
  });
}

/** A refused form as it was typed (bounded), to draw it again. */
function typedValues(body: Record<string, unknown>): AttributeValues {
  const text = (name: string, max: number) => (typeof body[name] === 'string' ? (body[name] as string).slice(0, max) : '');
  return { key: text('key', 64), type: text('type', 20), label_sv: text('label_sv', 100), label_en: text('label_en', 100), options: text('options', 20_000), ask: text('ask', 20), customer_editable: body.customer_editable === 'on' || body.customer_editable === 'true' };
}
