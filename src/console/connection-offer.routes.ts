import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import { seeOther } from '../http/page-reply.ts';
import type { FieldErrors } from '../pages/console/console-layout.ts';
import { connectionRefusal } from './connection-refusals.ts';
import { keyParams, type DrawConnection } from './connection-test.routes.ts';
import type { ConsoleInput, ConsoleSteps } from './console-steps.ts';
import { correctable } from './operation-refusals.ts';

/** Checkboxes arrive as one value, several, or none. */
const ticked = z.preprocess((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]), z.array(z.string().max(64)).max(100));
const offerForm = z.object({ brands: ticked, clients: z.string().max(20_000).default('') });
/** The API's bound on a connection's client list. */
const MOST_CLIENTS = 200;

/**
 * Where a connection is offered: at the clients of some brands, at some clients, or (neither
 * named) at every client; `PATCH /connections/:key` with `brands` and `clients`. The page checks
 * that each client id names a registered client and each brand is one of the group's, so a typo
 * never narrows a connection to nothing.
 */
export function consoleConnectionOfferRoutes(app: FastifyInstance, steps: ConsoleSteps, drawConnection: DrawConnection): void {
  steps.mount(app, {
    method: 'POST',
    path: '/console/connections/:key/offered',
    operation: ['PATCH', '/connections/:key'],
    params: keyParams,
    form: offerForm,
    refuse: async (input) => drawConnection(input, 400, input.params.key, { errors: { offer_clients: input.page.t('error.invalid') } }),
    handle: async (input) => {
      const { t } = input.page;
      const clients = [...new Set(input.form.clients.split(/[\s,]+/).filter(Boolean))];
      const brands = [...new Set(input.form.brands)];
      const offer = { brands, clients: clients.join('\n') };
      const errors: FieldErrors = {};
      const known = new Set((await input.run<{ brands: Array<{ key: string }> }>('GET', '/brands')).brands.map((brand) => brand.key));
      if (brands.some((brand) => !known.has(brand))) errors.offer_brands = t('error.invalid');
      if (clients.length > MOST_CLIENTS) errors.offer_clients = t('settings.connections.error.too_many_clients', { most: String(MOST_CLIENTS) });
      else {
        const unknown = (await Promise.all(clients.map(async (id) => ((await registered(input, id)) ? null : id)))).filter((id) => id !== null);
        if (unknown.length > 0) errors.offer_clients = t('settings.connections.error.unknown_clients', { ids: unknown.join(', ') });
      }
      if (Object.keys(errors).length > 0) return drawConnection(input, 400, input.params.key, { errors, offer });
      try {
        await input.run('PATCH', '/connections/:key', { params: input.params, body: { clients: clients.length ? clients : null, brands: brands.length ? brands : null } });
      } catch (error) {
        const refused = correctable(error);
        return drawConnection(input, refused.status, input.params.key, { errors: connectionRefusal(refused, input.page), offer });
      }
      return seeOther(input.reply, `/console/connections/${input.params.key}?done=saved`);
    },
  });
}

/** Whether a client id names a registered client (the clients operation answers 404 otherwise). */
async function registered(input: ConsoleInput, id: string): Promise<boolean> {
  if (!/^[\x21-\x7e]{1,200}$/.test(id)) return false;
  try {
    await input.run('GET', '/clients/:id', { params: { id } });
    return true;
  } catch (error) {
    if (error instanceof DomainError && (error.status === 404 || error.status === 400)) return false;
    throw error;
  }
}
