import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notFound } from '../errors/domain-error.ts';
import { seeOther, sendPage } from '../http/page-reply.ts';
import type { ConsoleKey } from '../i18n/console-en.ts';
import { brandPreviewPage } from '../pages/console/brand-preview.page.ts';
import { brandPage, brandsPage, type BrandRow, type BrandValues } from '../pages/console/brands.page.ts';
import type { FieldErrors } from '../pages/console/console-layout.ts';
import { BRAND_KEY_PATTERN } from '../validation/brand-key.ts';
import type { ConsoleInput, ConsoleSteps } from './console-steps.ts';
import { checkbox, uploadedFile } from './form-fields.ts';
import { acceptMultipartForms } from './multipart-form.ts';
import { correctable, refusalFields, withTexts } from './operation-refusals.ts';

/** The API's logo limit (brand.routes.ts): PNG or SVG, 40 KiB. */
const LOGO_TYPES = ['image/png', 'image/svg+xml'] as const;
const MAX_LOGO_BYTES = 40 * 1024;
/** A post with a logo: a logo somewhat too big still gets its field error (not a bare 413). */
const UPLOAD_LIMIT = 512 * 1024;

const keyParams = z.object({ key: z.string().regex(BRAND_KEY_PATTERN) });
const logo = uploadedFile.refine((file) => file === undefined || ((LOGO_TYPES as readonly string[]).includes(file.type) && file.size <= MAX_LOGO_BYTES));
const brandFields = {
  name: z.string().trim().min(1).max(80),
  accent_color: z.string().trim().regex(/^#[0-9a-fA-F]{6}$/),
  sender: z.string().trim().max(200).default(''),
  controller: z.string().trim().max(120).default(''),
  privacy_notice_url: z.string().trim().max(2000).default(''),
  logo,
  remove_logo: checkbox,
};
const brandForm = z.object(brandFields);
const newBrandForm = z.object({ key: z.string().trim().regex(BRAND_KEY_PATTERN), ...brandFields });
type BrandForm = z.infer<typeof brandForm>;

const TEXTS = { key: 'admin.brands.error.key', accent_color: 'admin.brands.error.colour', logo: 'admin.brands.error.logo', sender: 'admin.brands.error.sender', controller: 'admin.brands.error.controller', privacy_notice_url: 'admin.brands.error.notice' } as const satisfies Record<string, ConsoleKey>;
const REFUSALS = {
  field: ([name]: string[]) => (name !== undefined && ['name', 'accent_color', 'logo', 'sender', 'controller', 'privacy_notice_url'].includes(name) ? name : undefined),
  codes: { concurrent_update: ['', 'admin.error.concurrent'] } as Record<string, [string, ConsoleKey]>,
  texts: TEXTS,
};
const DONE = { created: 'admin.brands.done.created', saved: 'admin.brands.done.saved', deleted: 'admin.brands.done.deleted' } as const satisfies Record<string, ConsoleKey>;

/** What `PUT /brands/:key` is given: the logo kept when none is chosen, removed when asked. */
function brandBody(form: BrandForm) {
  const logoChange = form.remove_logo ? { logo: null } : form.logo ? { logo: { type: form.logo.type, base64: form.logo.base64 } } : {};
  return { name: form.name, accent_color: form.accent_color, sender: form.sender || null, controller: form.controller || null, privacy_notice_url: form.privacy_notice_url || null, ...logoChange };
}

/**
 * `/console/brands…`: the group's brands (name, colour, logo, sender) through the `/brands`
 * operations, and a preview of the hosted sign-in page in a brand's look. The forms carry a
 * file (the logo), so they are multipart; the API takes the logo's bytes in base64.
 */
export async function consoleBrandRoutes(app: FastifyInstance, steps: ConsoleSteps): Promise<void> {
  await app.register(async (scope) => {
    acceptMultipartForms(scope, UPLOAD_LIMIT);
    brandPageRoutes(scope, steps);
  });
}

function brandPageRoutes(app: FastifyInstance, steps: ConsoleSteps): void {
  const list = async (input: ConsoleInput) => (await input.run<{ brands: BrandRow[] }>('GET', '/brands')).brands;
  const find = async (input: ConsoleInput, key: string) => {
    const brand = (await list(input)).find((candidate) => candidate.key === key);
    if (!brand) throw notFound('brand');
    return brand;
  };
  const done = (input: ConsoleInput) => {
    const value = (input.request.query as Record<string, unknown> | undefined)?.done;
    return typeof value === 'string' && value in DONE ? input.page.t(DONE[value as keyof typeof DONE]) : undefined;
  };
  const drawList = async (input: ConsoleInput, status: number, extra: { values?: BrandValues; errors?: FieldErrors; notice?: string | undefined } = {}) =>
    sendPage(input.reply, status, brandsPage(input.page, { csrf: input.csrfToken, brands: await list(input), ...extra }));
  const drawBrand = async (input: ConsoleInput, status: number, key: string, extra: { values?: BrandValues; errors?: FieldErrors; notice?: string | undefined } = {}) =>
    sendPage(input.reply, status, brandPage(input.page, { csrf: input.csrfToken, brand: await find(input, key), ...extra }));

  // Brands are the administrator's (PUT): the pages stand behind that operation, as the menu does.
  steps.mount(app, { method: 'GET', path: '/console/brands', operation: ['PUT', '/brands/:key'], handle: async (input) => drawList(input, 200, { notice: done(input) }) });
  steps.mount(app, {
    method: 'POST',
    path: '/console/brands',
    operation: ['PUT', '/brands/:key'],
    form: newBrandForm,
    refuse: async (input, errors) => drawList(input, 400, { values: typedValues(input.body), errors: withTexts(errors, input.page.t, TEXTS) }),
    handle: async (input) => {
      const values = { ...typedValues(input.form as unknown as Record<string, unknown>), key: input.form.key };
      // PUT would change an existing brand: a new one needs a key of its own.
      if ((await list(input)).some((brand) => brand.key === input.form.key)) return drawList(input, 409, { values, errors: { key: input.page.t('admin.brands.error.key_taken') } });
      try {
        await input.run('PUT', '/brands/:key', { params: { key: input.form.key }, body: brandBody(input.form) });
      } catch (error) {
        const refused = correctable(error);
        return drawList(input, refused.status, { values, errors: refusalFields(refused, input.page.t, REFUSALS) });
      }
      return seeOther(input.reply, `/console/brands/${input.form.key}?done=created`);
    },
  });
  steps.mount(app, { method: 'GET', path: '/console/brands/:key', operation: ['PUT', '/brands/:key'], params: keyParams, handle: async (input) => drawBrand(input, 200, input.params.key, { notice: done(input) }) });
  steps.mount(app, {
    method: 'POST',
    path: '/console/brands/:key',
    operation: ['PUT', '/brands/:key'],
    params: keyParams,
    form: brandForm,
    refuse: async (input, errors) => drawBrand(input, 400, input.params.key, { values: typedValues(input.body), errors: withTexts(errors, input.page.t, TEXTS) }),
    handle: async (input) => {
      await find(input, input.params.key);
      try {
        await input.run('PUT', '/brands/:key', { params: input.params, body: brandBody(input.form) });
      } catch (error) {
        const refused = correctable(error);
        return drawBrand(input, refused.status, input.params.key, { values: typedValues(input.form as unknown as Record<string, unknown>), errors: refusalFields(refused, input.page.t, REFUSALS) });
      }
      return seeOther(input.reply, `/console/brands/${input.params.key}?done=saved`);
    },
  });
  steps.mount(app, {
    method: 'POST',
    path: '/console/brands/:key/delete',
    operation: ['DELETE', '/brands/:key'],
    params: keyParams,
    handle: async (input) => {
      await input.run('DELETE', '/brands/:key', { params: input.params });
      return seeOther(input.reply, '/console/brands?done=deleted');
    },
  });
  steps.mount(app, {
    method: 'GET',
    path: '/console/brands/:key/preview',
    operation: ['PUT', '/brands/:key'],
    params: keyParams,
    handle: async (input) => sendPage(input.reply, 200, brandPreviewPage(input.page, await find(input, input.params.key))),
  });
}

/** A refused form as it was typed (bounded; never the file), to draw it again. */
function typedValues(body: Record<string, unknown>): BrandValues {
  const text = (name: string, max: number) => (typeof body[name] === 'string' ? (body[name] as string).slice(0, max) : '');
  return { key: text('key', 64), name: text('name', 80), accent_color: /^#[0-9a-fA-F]{6}$/.test(text('accent_color', 7)) ? text('accent_color', 7) : '#1f5fbf', sender: text('sender', 200), controller: text('controller', 120), privacy_notice_url: text('privacy_notice_url', 2000) };
}
