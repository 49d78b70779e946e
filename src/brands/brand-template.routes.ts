import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiRegistry } from '../http/api-route.ts';
import { LOCALES } from '../i18n/locale.ts';
import { brandTemplatesInput, TEMPLATE_PLACEHOLDERS, TEMPLATE_TEXTS, type BrandTemplates } from '../messaging/templates/brand-templates.ts';
import { MESSAGE_TEXTS, type MessageKind } from '../messaging/templates/message-texts.ts';
import { renderCodeMail, renderCodeSms } from '../messaging/templates/render-message.ts';
import { brandKey } from '../validation/brand-key.ts';
import type { Brands } from './brands.ts';

const keyParams = z.strictObject({ key: brandKey });
const MESSAGE_KINDS = Object.keys(MESSAGE_TEXTS.en) as [MessageKind, ...MessageKind[]];
const templatesOutput = z.object({
  key: z.string(),
  templates: z.record(z.string(), z.unknown()).describe("The brand's own wording: locale → message kind → text → template"),
  defaults: z.record(z.string(), z.unknown()).describe("The group's wording the brand's replaces, text by text"),
  placeholders: z.array(z.string()),
});
const previewInput = z.strictObject({
  locale: z.enum(LOCALES),
  kind: z.enum(MESSAGE_KINDS),
  templates: brandTemplatesInput.optional().describe('Unsaved wording to preview; absent: the saved one'),
});
const previewOutput = z.object({ subject: z.string(), text: z.string(), html: z.string(), sms: z.string() });

/**
 * `/brands/{key}/templates`: a brand words its own messages (codes for sign-up, sign-in, recovery,
 * a new address, SMS), per locale and text, as plain text with the placeholders `{brand}`,
 * `{minutes}` and `{code}`; every mail and SMS for the brand's clients uses them. A preview renders
 * a message with a sample code, saved or not.
 */
export function brandTemplateRoutes(app: FastifyInstance, api: ApiRegistry, brands: Brands): void {
  const answer = (brand: { key: string; templates: BrandTemplates }) => ({ key: brand.key, templates: brand.templates, defaults: MESSAGE_TEXTS, placeholders: TEMPLATE_PLACEHOLDERS.map((name) => `{${name}}`) });
  api.add(app, {
    method: 'GET',
    url: '/brands/:key/templates',
    tag: 'brands',
    roles: ['admin'],
    summary: "The brand's own wording of its messages, beside the group's",
    params: keyParams,
    status: 200,
    response: templatesOutput,
    handler: async ({ params }) => answer(await brands.get(params.key)),
  });
  api.add(app, {
    method: 'PUT',
    url: '/brands/:key/templates',
    tag: 'brands',
    roles: ['admin'],
    summary: `Set the brand's wording (replaces the whole set; {} returns to the group's). Texts: ${TEMPLATE_TEXTS.join(', ')}; plain text, one line, placeholders {brand}, {minutes}, {code}`,
    params: keyParams,
    body: brandTemplatesInput,
    status: 200,
    response: templatesOutput,
    handler: async ({ params, body }) => answer(await brands.setTemplates(params.key, body as BrandTemplates)),
  });
  api.add(app, {
    method: 'POST',
    url: '/brands/:key/templates/preview',
    tag: 'brands',
    roles: ['admin'],
    summary: 'A message of the brand rendered with a sample code (123456), with its saved wording or the one given',
    params: keyParams,
    body: previewInput,
    status: 200,
    response: previewOutput,
    handler: async ({ params, body }) => {
      const brand = await brands.get(params.key);
      const message = {
        kind: body.kind,
        locale: body.locale,
        brand: { name: brand.name, host: 'login.example', sender: brand.sender, overrides: (body.templates as BrandTemplates | undefined) ?? brand.templates },
        to: 'kund@example.se',
        code: '123456',
        minutes: 15,
        ...(MESSAGE_TEXTS[body.locale][body.kind].linkLabel ? { link: 'https://login.example/verify?token=sample' } : {}),
      };
      const mail = renderCodeMail(message);
      return { subject: mail.subject, text: mail.text, html: mail.html, sms: renderCodeSms(message).body };
    },
  });
}
