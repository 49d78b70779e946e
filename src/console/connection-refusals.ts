import type { DomainError } from '../errors/domain-error.ts';
import { META_API_VERSION } from '../federation/connectors/meta.ts';
import { connectorFor } from '../federation/connectors/registry.ts';
import type { ConsoleKey } from '../i18n/console-en.ts';
import { causeText } from '../pages/console/connection-test.page.ts';
import type { ConnectionKind, PresetFacts } from '../pages/console/connections.page.ts';
import type { ConsolePage, FieldErrors } from '../pages/console/console-layout.ts';
import { refusalFields } from './operation-refusals.ts';

/** The specific texts of the connection forms' fields. */
export const CONNECTION_TEXTS = {
  key: 'settings.connections.error.key',
  issuer: 'settings.connections.error.issuer',
  scopes: 'settings.connections.error.scopes',
  team_id: 'settings.connections.error.team_id',
  key_id: 'settings.connections.error.key_id',
  private_key: 'settings.connections.error.private_key',
  tenant: 'settings.connections.error.tenant',
  allowed_tenants: 'settings.connections.error.tenant',
  api_version: 'settings.connections.error.api_version',
} as const satisfies Record<string, ConsoleKey>;
const FIELDS = new Set(['key', 'name', 'issuer', 'client_id', 'client_secret', 'scopes', 'trust_email_verified', 'team_id', 'key_id', 'private_key', 'tenant', 'allowed_tenants', 'api_version']);
const REFUSALS = {
  // `body.apple.team_id` is the field `team_id`.
  field: (path: string[]) => {
    const name = path[0] === 'apple' || path[0] === 'microsoft' || path[0] === 'meta' ? (path[1] ?? '') : (path[0] ?? '');
    return FIELDS.has(name) ? name : undefined;
  },
  codes: {
    connection_exists: ['key', 'settings.connections.error.key_taken'],
    insecure_issuer: ['issuer', 'settings.connections.error.insecure'],
    concurrent_update: ['', 'admin.error.concurrent'],
  } as Record<string, [string, ConsoleKey]>,
  texts: CONNECTION_TEXTS,
};
export function presetFacts(kind: ConnectionKind): PresetFacts {
  const preset = connectorFor(kind).preset;
  return { name: preset.name, scopes: preset.scopes, trust: preset.trustEmailVerified, apiVersion: META_API_VERSION };
}

/** A connection operation's refusal as field errors in the page's language: discovery's cause in words, a key file or secret a provider refused on its field. */
export function connectionRefusal(error: DomainError, page: ConsolePage): FieldErrors {
  const { t } = page;
  if (error.code === 'issuer_unreachable') return { '': t('settings.connections.error.unreachable', { cause: causeText(page, (error.details as { cause?: string } | undefined)?.cause) }) };
  // A provider's own rules (and a change checked against its kind) refuse as "field: why; field: why".
  if (error.code === 'invalid_body') {
    const errors: FieldErrors = {};
    for (const part of error.message.split('; ')) {
      const named = /^([a-z_]+)(?:\.([a-z_]+))?:/.exec(part);
      const field = named && FIELDS.has(named[2] ?? named[1]!) ? (named[2] ?? named[1]!) : '';
      const text = field === 'client_secret' ? 'settings.connections.error.secret_needed' : field ? (CONNECTION_TEXTS[field as keyof typeof CONNECTION_TEXTS] ?? 'error.invalid') : 'settings.connections.error.invalid';
      errors[field] ??= t(text);
    }
    return errors;
  }
  return refusalFields(error, t, REFUSALS);
}

