import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notFound } from '../errors/domain-error.ts';
import type { ApiRegistry } from '../http/api-route.ts';
import { parseInput } from '../validation/parse-input.ts';
import { brandKey } from '../validation/brand-key.ts';
import { httpsUrl } from '../validation/https-url.ts';
import { nameText, text } from '../validation/text.ts';
import { brandStylesheet, type Brand, type Brands } from './brands.ts';

/** Logos up to 40 KiB (base64 inside the API's 64 KiB JSON body), PNG or SVG (served sandboxed: no script, no form). */
const MAX_LOGO_BYTES = 40 * 1024;
const brandInput = z.strictObject({
  name: nameText().trim().min(1).max(80).describe('Shown on its hosted pages and in its e-mails'),
  accent_color: text().regex(/^#[0-9a-fA-F]{6}$/, 'a colour #rrggbb').describe('Buttons, links and focus rings'),
  logo: z
    .strictObject({ type: z.enum(['image/png', 'image/svg+xml']), base64: text().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64').max(Math.ceil((MAX_LOGO_BYTES * 4) / 3) + 4) })
    .nullable()
    .optional()
    .describe('Served by Portvakt at /assets/brands/{key}/logo; null removes it'),
  sender: nameText()
    .trim()
    .max(200)
    // A display name and an address, or an address; no line breaks (it becomes a mail header).
    .regex(/^(?:[^<>\r\n\u0000-\u001f",;:@]{1,100} )?<?[^\s<>@"]+@[^\s<>@"]+\.[^\s<>@"]+>?$/, 'an address, or "Name <address>"')
    .nullable()
    .optional()
    .describe('From address of its e-mails, such as "Hemma El <kund@hemmael.se>"'),
  controller: nameText().trim().min(2).max(120).regex(/^[^\u0000-\u001f\u007f]+$/, 'one line, no control characters').nullable().optional().describe("The company responsible for its customers' data (the controller), named on its sign-up and consent pages; null: the group's (CONTROLLER_NAME)"),
  privacy_notice_url: httpsUrl.nullable().optional().describe("Its privacy notice, linked from its sign-up and consent pages; null: the group's (PRIVACY_NOTICE_URL)"),
});
const brandOutput = z.object({ key: z.string(), name: z.string(), accent_color: z.string(), has_logo: z.boolean(), sender: z.string().nullable(), controller: z.string().nullable(), privacy_notice_url: z.string().nullable(), version: z.number().int(), updated_at: z.number().int() });
const present = (brand: Brand) => ({ key: brand.key, name: brand.name, accent_color: brand.accentColor, has_logo: brand.hasLogo, sender: brand.sender, controller: brand.controller, privacy_notice_url: brand.privacyNoticeUrl, version: brand.version, updated_at: Math.floor(brand.updatedAt / 1000) });
const keyParams = z.strictObject({ key: brandKey });

/** `/brands`: the group's chains, their look and sender. */
export function brandRoutes(app: FastifyInstance, api: ApiRegistry, brands: Brands): void {
  api.add(app, {
    method: 'PUT',
    url: '/brands/:key',
    tag: 'brands',
    roles: ['admin'],
    summary: "Add or change a brand: clients with this `brand` show its name, colour and logo, and its customers' one-time notice",
    params: keyParams,
    body: brandInput,
    status: 200,
    response: brandOutput,
    handler: async ({ params, body }) => present(await brands.put(params.key, body)),
  });
  api.add(app, {
    method: 'GET',
    url: '/brands',
    tag: 'brands',
    roles: ['admin', 'agent', 'privacy_officer', 'integration'],
    summary: 'Every brand',
    status: 200,
    response: z.object({ brands: z.array(brandOutput) }),
    handler: async () => ({ brands: (await brands.list()).map(present) }),
  });
  api.add(app, {
    method: 'DELETE',
    url: '/brands/:key',
    tag: 'brands',
    roles: ['admin'],
    summary: "Remove a brand: its clients' pages show the group again",
    params: keyParams,
    status: 204,
    handler: async ({ params }) => brands.remove(params.key),
  });
}

/** The brand's stylesheet (colours over the base one) and logo, from Portvakt's own origin. */
export function brandAssetRoutes(app: FastifyInstance, brands: Brands): void {
  app.get('/assets/brands/:key.css', async (request, reply) => {
    const { key } = parseInput(keyParams, request.params, 'params');
    const brand = await brands.find(key);
    if (!brand) throw notFound('brand');
    return reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(brandStylesheet(brand));
  });
  app.get('/assets/brands/:key/logo', async (request, reply) => {
    const { key } = parseInput(keyParams, request.params, 'params');
    const logo = await brands.logo(key);
    if (!logo) throw notFound('logo');
    // An SVG logo is an image: no script runs in it, and nosniff keeps it one.
    return reply.type(logo.type).header('cache-control', 'public, max-age=300').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox; form-action 'none'; frame-ancestors 'none'").send(logo.bytes);
  });
}
