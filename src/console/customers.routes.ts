import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../errors/domain-error.ts';
import { seeOther, sendPage } from '../http/page-reply.ts';
import type { ConsoleKey } from '../i18n/console-en.ts';
import type { OperatorAccounts } from '../operators/operator-accounts.ts';
import { customerPage, type CustomerView } from '../pages/console/customer.page.ts';
import { customersPage, SEARCH_KINDS, type SearchKind } from '../pages/console/customers.page.ts';
import type { ConsoleInput, ConsoleSteps } from './console-steps.ts';

const idParams = z.object({ id: z.uuid() });
const searchQuery = z.object({ kind: z.enum(SEARCH_KINDS).catch('email'), q: z.string().trim().max(320).catch(''), after: z.string().max(100).optional().catch(undefined) });
const DONE = { sessions: 'customer.done.sessions', resend: 'customer.done.resend', consent: 'customer.done.consent' } as const satisfies Record<string, ConsoleKey>;

/** `/console/customers…`: search, the customer view, and customer service's actions on it. */
export function consoleCustomerRoutes(app: FastifyInstance, deps: { steps: ConsoleSteps; accounts: OperatorAccounts }): void {
  const { steps } = deps;
  steps.mount(app, {
    method: 'GET',
    path: '/console/customers',
    operation: ['GET', '/customers'],
    handle: async (input) => {
      const query = searchQuery.parse(input.request.query ?? {});
      if (!query.q) return sendPage(input.reply, 200, customersPage(input.page, { kind: query.kind, q: '' }));
      try {
        const found = await input.run('GET', '/customers', { query: { [query.kind]: query.q, ...(query.kind === 'name' ? { limit: '20', ...(query.after ? { after: query.after } : {}) } : {}) } });
        const next = found.next ? `/console/customers?kind=${query.kind}&q=${encodeURIComponent(query.q)}&after=${encodeURIComponent(found.next)}` : undefined;
        return sendPage(input.reply, 200, customersPage(input.page, { kind: query.kind, q: query.q, results: found.customers, next }));
      } catch (error) {
        if (!(error instanceof DomainError) || error.status !== 400) throw error;
        return sendPage(input.reply, 400, customersPage(input.page, { kind: query.kind, q: query.q, errors: { q: searchError(query.kind, input) } }));
      }
    },
  });
  steps.mount(app, {
    method: 'GET',
    path: '/console/customers/:id',
    operation: ['GET', '/customers/:id'],
    params: idParams,
    handle: async (input) => sendPage(input.reply, 200, customerPage(input.page, await customerView(input, input.params.id, deps.accounts))),
  });
  customerActions(app, steps, deps.accounts);
  erasureAction(app, steps);
}

function searchError(kind: SearchKind, input: ConsoleInput): string {
  return kind === 'name' ? input.page.t('error.name_too_short') : kind === 'email' ? input.page.t('error.email') : input.page.t('error.invalid');
}

/** Everything the page shows, each part read through its own operation when the roles admit it. */
async function customerView(input: ConsoleInput, id: string, accounts: OperatorAccounts): Promise<CustomerView> {
  const may = (method: 'GET' | 'POST' | 'DELETE', url: string) => input.allows(method, url);
  const read = <T>(url: string, query?: Record<string, string>): Promise<T | undefined> => (may('GET', url) ? input.run('GET', url, { params: { id }, ...(query ? { query } : {}) }) : Promise.resolve(undefined));
  const customer = await input.run('GET', '/customers/:id', { params: { id } });
  const [attributes, references, consents, orders, timeline, purposes] = await Promise.all([
    read<{ attributes: Record<string, unknown> }>('/customers/:id/attributes'),
    read<{ references: Array<{ system: string; reference: string }> }>('/customers/:id/references'),
    read<NonNullable<CustomerView['consents']>>('/customers/:id/consents'),
    read<{ orders: Array<{ reference: string; created_at: number }> }>('/customers/:id/orders'),
    read<{ entries: NonNullable<CustomerView['timeline']> }>('/customers/:id/timeline', { limit: '50' }),
    may('GET', '/consent-purposes') ? input.run<{ purposes: Array<{ key: string; version: number; texts: Record<'sv' | 'en', { title: string }> }> }>('GET', '/consent-purposes') : undefined,
  ]);
  const actorIds = [...(timeline?.entries ?? []).map((entry) => entry.actor.id), ...(consents?.history ?? []).map((record) => record.actor_id)];
  const done = (input.request.query as Record<string, unknown> | undefined)?.done;
  return {
    csrf: input.csrfToken,
    customer,
    ...(attributes ? { attributes: attributes.attributes } : {}),
    ...(references ? { references: references.references } : {}),
    ...(consents ? { consents } : {}),
    ...(orders ? { orders: orders.orders } : {}),
    ...(timeline ? { timeline: timeline.entries } : {}),
    ...(purposes ? { purposes: purposes.purposes.map((purpose) => ({ key: purpose.key, version: purpose.version, title: purpose.texts[input.page.locale].title })) } : {}),
    names: await accounts.names(actorIds.filter((actor): actor is string => typeof actor === 'string')),
    actions: {
      identify: may('POST', '/customers/:id/verifications'),
      endSessions: may('DELETE', '/customers/:id/sessions'),
      resend: may('POST', '/customers/:id/email-verification') && !customer.email_verified,
      recordConsent: may('POST', '/customers/:id/consents'),
      erase: may('POST', '/privacy-requests'),
    },
    ...(typeof done === 'string' && done in DONE ? { notice: input.page.t(DONE[done as keyof typeof DONE]) } : {}),
  };
}

const verificationForm = z.object({ channel: z.enum(['email', 'sms', 'portal']) });
const consentForm = z.object({ purpose: z.string().min(1).max(64), decision: z.enum(['granted', 'declined', 'withdrawn']) });

function customerActions(app: FastifyInstance, steps: ConsoleSteps, accounts: OperatorAccounts): void {
  const back = (id: string, done: keyof typeof DONE) => `/console/customers/${id}?done=${done}`;
  steps.mount(app, {
    method: 'POST',
    path: '/console/customers/:id/verifications',
    operation: ['POST', '/customers/:id/verifications'],
    params: idParams,
    form: verificationForm,
    handle: async (input) => {
      const started = await input.run('POST', '/customers/:id/verifications', { params: input.params, body: { channel: input.form.channel, agent_id: input.account.name } });
      return seeOther(input.reply, `/console/verifications/${started.id}`);
    },
  });
  steps.mount(app, {
    method: 'POST',
    path: '/console/customers/:id/sessions',
    operation: ['DELETE', '/customers/:id/sessions'],
    params: idParams,
    handle: async (input) => {
      await input.run('DELETE', '/customers/:id/sessions', { params: input.params });
      return seeOther(input.reply, back(input.params.id, 'sessions'));
    },
  });
  steps.mount(app, {
    method: 'POST',
    path: '/console/customers/:id/email-verification',
    operation: ['POST', '/customers/:id/email-verification'],
    params: idParams,
    handle: async (input) => {
      await input.run('POST', '/customers/:id/email-verification', { params: input.params });
      return seeOther(input.reply, back(input.params.id, 'resend'));
    },
  });
  steps.mount(app, {
    method: 'POST',
    path: '/console/customers/:id/consents',
    operation: ['POST', '/customers/:id/consents'],
    params: idParams,
    form: consentForm,
    refuse: async (input, errors) => sendPage(input.reply, 400, customerPage(input.page, { ...(await customerView(input, input.params.id, accounts)), errors })),
    handle: async (input) => {
      const purposes = await input.run<{ purposes: Array<{ key: string; version: number }> }>('GET', '/consent-purposes');
      const purpose = purposes.purposes.find((candidate) => candidate.key === input.form.purpose);
      if (!purpose) throw new DomainError('validation_failed', 400, 'No such purpose');
      const body = { purpose: purpose.key, version: purpose.version, decision: input.form.decision, channel: 'phone', locale: input.page.locale, agent_id: input.operator.id };
      await input.run('POST', '/customers/:id/consents', { params: input.params, body });
      return seeOther(input.reply, back(input.params.id, 'consent'));
    },
  });
}

/** Filing an erasure from the customer view; the operator follows it on the request's page. */
function erasureAction(app: FastifyInstance, steps: ConsoleSteps): void {
  steps.mount(app, {
    method: 'POST',
    path: '/console/customers/:id/erasure',
    operation: ['POST', '/privacy-requests'],
    params: idParams,
    handle: async (input) => {
      const filed = await input.run('POST', '/privacy-requests', { body: { customer_id: input.params.id, kind: 'erasure', verification: `Filed in the console by ${input.account.name} (${input.operator.id})` } });
      // The customer may be gone by the next page (Portvakt's own part runs at once): follow the request instead.
      return seeOther(input.reply, input.allows('GET', '/privacy-requests/:id') ? `/console/privacy/${filed.id}` : '/console/customers');
    },
  });
}
