import type { FastifyInstance } from 'fastify';
import { sendPage } from '../http/page-reply.ts';
import { auditCheckPage, type ChainCheck } from '../pages/console/audit-check.page.ts';
import { consentFiguresPage, type PurposeFigures } from '../pages/console/consent-figures.page.ts';
import { dataMapPage, type DataMapEntry, type RecipientEntry, type UnmappedEntry } from '../pages/console/data-map.page.ts';
import type { ConsoleSteps } from './console-steps.ts';

/** `/console/data-map`, `/console/consent-figures` and `/console/audit`: the privacy officer's overviews, each one read operation. */
export function consolePrivacyOverviewRoutes(app: FastifyInstance, steps: ConsoleSteps): void {
  steps.mount(app, {
    method: 'GET',
    path: '/console/data-map',
    operation: ['GET', '/data-map'],
    handle: async (input) => {
      const map = await input.run<{ systems: DataMapEntry[]; unmapped: UnmappedEntry[]; recipients: RecipientEntry[] }>('GET', '/data-map', { query: {} });
      return sendPage(input.reply, 200, dataMapPage(input.page, map.systems, map.unmapped, map.recipients));
    },
  });
  steps.mount(app, {
    method: 'GET',
    path: '/console/consent-figures',
    operation: ['GET', '/consent-figures'],
    handle: async (input) => {
      const [figures, purposes] = await Promise.all([
        input.run<{ purposes: PurposeFigures[] }>('GET', '/consent-figures'),
        input.allows('GET', '/consent-purposes') ? input.run<{ purposes: Array<{ key: string; texts: Record<'sv' | 'en', { title: string }> }> }>('GET', '/consent-purposes') : undefined,
      ]);
      const titles = new Map(purposes?.purposes.map((purpose) => [purpose.key, purpose.texts[input.page.locale]?.title]));
      return sendPage(input.reply, 200, consentFiguresPage(input.page, figures.purposes.map((purpose) => ({ ...purpose, title: titles.get(purpose.purpose) }))));
    },
  });
  steps.mount(app, {
    method: 'GET',
    path: '/console/audit',
    operation: ['GET', '/audit/verify'],
    handle: async (input) => {
      // The check reads the whole log: it runs when asked (the button), not on every visit.
      const asked = (input.request.query as Record<string, unknown> | undefined)?.check === '1';
      const check = asked ? { result: await input.run<ChainCheck>('GET', '/audit/verify'), at: Date.now() } : undefined;
      return sendPage(input.reply, 200, auditCheckPage(input.page, check));
    },
  });
}
