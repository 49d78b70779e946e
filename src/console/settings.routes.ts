import type { FastifyInstance } from 'fastify';
import type { Method } from '../http/api-route.ts';
import { sendPage } from '../http/page-reply.ts';
import { settingsPage, type SettingsEntry } from '../pages/console/settings.page.ts';
import type { ConsoleSteps } from './console-steps.ts';

/** The administrator's pages, each shown when the operator's roles admit the operation its page stands behind. */
export const SETTINGS_PAGES: ReadonlyArray<SettingsEntry & { operation: [Method, string] }> = [
  { href: '/console/clients', label: 'admin.nav.clients', lead: 'admin.home.clients', operation: ['GET', '/clients'] },
  { href: '/console/brands', label: 'admin.nav.brands', lead: 'admin.home.brands', operation: ['PUT', '/brands/:key'] },
  { href: '/console/consent-purposes', label: 'admin.nav.purposes', lead: 'admin.home.purposes', operation: ['POST', '/consent-purposes'] },
  { href: '/console/connections', label: 'settings.nav.connections', lead: 'settings.home.connections', operation: ['GET', '/connections'] },
  { href: '/console/profile-schema', label: 'settings.nav.profile', lead: 'settings.home.profile', operation: ['PUT', '/profile-schema/:key'] },
  { href: '/console/webhooks', label: 'settings.nav.webhooks', lead: 'settings.home.webhooks', operation: ['GET', '/webhooks'] },
  { href: '/console/api-keys', label: 'settings.nav.api_keys', lead: 'settings.home.api_keys', operation: ['GET', '/api-keys'] },
  { href: '/console/signing-keys', label: 'admin.nav.keys', lead: 'admin.home.keys', operation: ['GET', '/signing-keys'] },
];

/**
 * The operation the "Settings" entry (menu and page) stands behind: one that admits exactly the
 * roles that any settings page admits (admin everywhere; integration the webhooks). A test holds
 * it to that, so a settings page opened to another role moves this gate too.
 */
export const SETTINGS_OPERATION: [Method, string] = ['GET', '/webhooks'];

/** `/console/settings`: the administrator's pages in one place, so the menu fits a phone. */
export function consoleSettingsRoutes(app: FastifyInstance, steps: ConsoleSteps): void {
  steps.mount(app, {
    method: 'GET',
    path: '/console/settings',
    operation: SETTINGS_OPERATION,
    handle: async (input) => sendPage(input.reply, 200, settingsPage(input.page, SETTINGS_PAGES.filter((entry) => input.allows(...entry.operation)))),
  });
}
