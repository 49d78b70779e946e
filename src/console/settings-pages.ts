import type { Method } from '../http/api-route.ts';
import type { SettingsEntry } from '../pages/console/settings.page.ts';

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
