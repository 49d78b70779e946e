import type { FastifyInstance } from 'fastify';
import { sendPage } from '../http/page-reply.ts';
import { settingsPage } from '../pages/console/settings.page.ts';
import type { ConsoleSteps } from './console-steps.ts';
import { SETTINGS_OPERATION, SETTINGS_PAGES } from './settings-pages.ts';

/** `/console/settings`: the administrator's pages in one place, so the menu fits a phone. */
export function consoleSettingsRoutes(app: FastifyInstance, steps: ConsoleSteps): void {
  steps.mount(app, {
    method: 'GET',
    path: '/console/settings',
    operation: SETTINGS_OPERATION,
    handle: async (input) => sendPage(input.reply, 200, settingsPage(input.page, SETTINGS_PAGES.filter((entry) => input.allows(...entry.operation)))),
  });
}
