import fastifyFormbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notFound } from '../errors/domain-error.ts';
import { seeOther, sendPage } from '../http/page-reply.ts';
import type { ConsoleKey } from '../i18n/console-en.ts';
import type { FieldErrors } from '../pages/console/console-layout.ts';
import { purposePage, purposesPage, TEXT_FIELDS, type PurposeRow, type PurposeValues } from '../pages/console/consent-purposes.page.ts';
import type { ConsoleInput, ConsoleSteps } from './console-steps.ts';
import { checkbox } from './form-fields.ts';
import { correctable, refusalFields, withTexts } from './operation-refusals.ts';

/** Legal texts run to 20 000 characters in each language: a larger form than the console's usual. */
const TEXTS_FORM_LIMIT = 512 * 1024;

const keyParams = z.object({ key: z.string().regex(/^[a-z][a-z0-9_]{1,63}$/) });
const texts = {
  sv_title: z.string().trim().min(1).max(120),
  sv_description: z.string().trim().min(1).max(2000),
  sv_legal_text: z.string().trim().min(1).max(20000),
  en_title: z.string().trim().min(1).max(120),
  en_description: z.string().trim().min(1).max(2000),
  en_legal_text: z.string().trim().min(1).max(20000),
};
const newPurposeForm = z.object({ key: z.string().trim().regex(/^[a-z][a-z0-9_]{1,63}$/), brand: z.string().max(64).default(''), required: checkbox, ...texts });
const versionForm = z.object({ ...texts, requires_fresh_consent: checkbox });
type Texts = { [K in keyof typeof texts]: string };

const FIELD_TEXTS = { key: 'admin.purposes.error.key', brand: 'admin.purposes.error.brand' } as const satisfies Record<string, ConsoleKey>;
const REFUSALS = {
  // `body.texts.sv.title` is the field `sv_title`.
  field: (path: string[]) => (path[0] === 'texts' && path.length >= 3 ? `${path[1]}_${path[2]}` : path[0] === 'key' || path[0] === 'brand' ? path[0] : undefined),
  codes: {
    purpose_exists: ['key', 'admin.purposes.error.exists'],
    texts_unchanged: ['', 'admin.purposes.error.unchanged'],
    concurrent_update: ['', 'admin.error.concurrent'],
  } as Record<string, [string, ConsoleKey]>,
  texts: FIELD_TEXTS,
};
const DONE = { created: 'admin.purposes.done.created', version: 'admin.purposes.done.version', asked: 'admin.purposes.done.asked' } as const satisfies Record<string, ConsoleKey>;

const apiTexts = (form: Texts) => ({
  sv: { title: form.sv_title, description: form.sv_description, legal_text: form.sv_legal_text },
  en: { title: form.en_title, description: form.en_description, legal_text: form.en_legal_text },
});

/** `/console/consent-purposes…`: purposes with their texts in Swedish and English side by side, new versions, asking everyone again. */
export async function consoleConsentPurposeRoutes(app: FastifyInstance, steps: ConsoleSteps): Promise<void> {
  await app.register(async (scope) => {
    scope.removeContentTypeParser('application/x-www-form-urlencoded');
    await scope.register(fastifyFormbody, { bodyLimit: TEXTS_FORM_LIMIT });
    purposePageRoutes(scope, steps);
  });
}

function purposePageRoutes(app: FastifyInstance, steps: ConsoleSteps): void {
  const purposes = async (input: ConsoleInput) => (await input.run<{ purposes: PurposeRow[] }>('GET', '/consent-purposes')).purposes;
  const brands = async (input: ConsoleInput) => (await input.run<{ brands: Array<{ key: string; name: string }> }>('GET', '/brands')).brands;
  const done = (input: ConsoleInput) => {
    const value = (input.request.query as Record<string, unknown> | undefined)?.done;
    return typeof value === 'string' && value in DONE ? input.page.t(DONE[value as keyof typeof DONE]) : undefined;
  };
  const drawList = async (input: ConsoleInput, status: number, extra: { values?: PurposeValues; errors?: FieldErrors; notice?: string | undefined } = {}) =>
    sendPage(input.reply, status, purposesPage(input.page, { csrf: input.csrfToken, purposes: await purposes(input), brands: await brands(input), ...extra }));
  const drawPurpose = async (input: ConsoleInput, status: number, key: string, extra: { values?: PurposeValues; errors?: FieldErrors; notice?: string | undefined } = {}) => {
    const purpose = (await purposes(input)).find((candidate) => candidate.key === key);
    if (!purpose) throw notFound('consent purpose');
    return sendPage(input.reply, status, purposePage(input.page, { csrf: input.csrfToken, purpose, brands: await brands(input), ...extra }));
  };

  // Defining purposes is the administrator's (POST): the pages stand behind that operation, as the menu does.
  steps.mount(app, { method: 'GET', path: '/console/consent-purposes', operation: ['POST', '/consent-purposes'], handle: async (input) => drawList(input, 200, { notice: done(input) }) });
  steps.mount(app, {
    method: 'POST',
    path: '/console/consent-purposes',
    operation: ['POST', '/consent-purposes'],
    form: newPurposeForm,
    refuse: async (input, errors) => drawList(input, 400, { values: typedValues(input.body), errors: withTexts(errors, input.page.t, FIELD_TEXTS) }),
    handle: async (input) => {
      const { form } = input;
      const values = typedValues(form as unknown as Record<string, unknown>);
      if (form.brand && !(await brands(input)).some((brand) => brand.key === form.brand)) return drawList(input, 400, { values, errors: { brand: input.page.t(FIELD_TEXTS.brand) } });
      try {
        await input.run('POST', '/consent-purposes', { body: { key: form.key, required: form.required, brand: form.brand || null, texts: apiTexts(form) } });
      } catch (error) {
        const refused = correctable(error);
        return drawList(input, refused.status, { values, errors: refusalFields(refused, input.page.t, REFUSALS) });
      }
      return seeOther(input.reply, `/console/consent-purposes/${form.key}?done=created`);
    },
  });
  steps.mount(app, {
    method: 'GET',
    path: '/console/consent-purposes/:key',
    operation: ['POST', '/consent-purposes/:key/versions'],
    params: keyParams,
    handle: async (input) => drawPurpose(input, 200, input.params.key, { notice: done(input) }),
  });
  steps.mount(app, {
    method: 'POST',
    path: '/console/consent-purposes/:key/versions',
    operation: ['POST', '/consent-purposes/:key/versions'],
    params: keyParams,
    form: versionForm,
    refuse: async (input, errors) => drawPurpose(input, 400, input.params.key, { values: typedValues(input.body), errors }),
    handle: async (input) => {
      const values = typedValues(input.form as unknown as Record<string, unknown>);
      try {
        await input.run('POST', '/consent-purposes/:key/versions', { params: input.params, body: { texts: apiTexts(input.form), requires_fresh_consent: input.form.requires_fresh_consent } });
      } catch (error) {
        const refused = correctable(error);
        return drawPurpose(input, refused.status, input.params.key, { values, errors: refusalFields(refused, input.page.t, REFUSALS) });
      }
      return seeOther(input.reply, `/console/consent-purposes/${input.params.key}?done=version`);
    },
  });
  // "Ask again": a version with the same texts that asks for fresh consent (the API's way since issue 17).
  steps.mount(app, {
    method: 'POST',
    path: '/console/consent-purposes/:key/ask-again',
    operation: ['POST', '/consent-purposes/:key/versions'],
    params: keyParams,
    handle: async (input) => {
      try {
        await input.run('POST', '/consent-purposes/:key/versions', { params: input.params, body: { requires_fresh_consent: true } });
      } catch (error) {
        const refused = correctable(error);
        return drawPurpose(input, refused.status, input.params.key, { errors: refusalFields(refused, input.page.t, REFUSALS) });
      }
      return seeOther(input.reply, `/console/consent-purposes/${input.params.key}?done=asked`);
    },
  });
}

/** A refused form as it was typed (bounded), to draw it again. */
function typedValues(body: Record<string, unknown>): PurposeValues {
  const text = (name: string, max: number) => (typeof body[name] === 'string' ? (body[name] as string).slice(0, max) : '');
  const typed = Object.fromEntries(TEXT_FIELDS.map(([name, max]) => [name, text(name, max)])) as Texts;
  const ticked = (name: string) => body[name] !== undefined && body[name] !== '' && body[name] !== false;
  return { key: text('key', 64), brand: text('brand', 64), required: ticked('required'), requires_fresh_consent: ticked('requires_fresh_consent'), ...typed };
}
