/**
 * Who may call the management API, by role. Every route names the roles it admits; `admin` is
 * admitted everywhere.
 * - admin: everything, including clients, connections, keys and configuration.
 * - agent (customer service): find a customer (never list them all), verify a caller, read and
 *   record consent given by phone.
 * - privacy_officer: the data map, privacy requests and their evidence, the audit log.
 * - integration: another system (CRM, loyalty, web shop): its own customer references and webhooks.
 * - store: a till in one store: identifies the customer in front of it (member code, or phone and
 *   code) and posts their receipts; nothing else.
 */
export const ROLES = ['admin', 'agent', 'privacy_officer', 'integration', 'store'] as const;
export type Role = (typeof ROLES)[number];

/** The OAuth scope a machine client asks for to act in a role (client_credentials). */
export const roleScope = (role: Role): string => `portvakt:${role}`;
export const ROLE_SCOPES = ROLES.map(roleScope);

/** Who is calling: the bootstrap key, an API key, or a machine client; with a role and, for integrations, the systems they speak for and the purposes they may record decisions for. */
export interface Operator {
  /** `admin-key` (PORTVAKT_ADMIN_KEY), `key:{id}` or `client:{client_id}`: what the audit log names. */
  id: string;
  roles: Role[];
  /** Systems whose references an integration may write; null: any (admin). */
  systems: string[] | null;
  /** Purposes an integration may record consent decisions for (the consent capability); null: none (an admin or agent records any, as itself). */
  consentPurposes: string[] | null;
  /** The store a till key belongs to (role `store`); null for every other caller. */
  store?: string | null;
}

export function admits(operator: Operator, allowed: readonly Role[]): boolean {
  return operator.roles.includes('admin') || operator.roles.some((role) => allowed.includes(role));
}

/** A role read back from storage; a value this code does not know is a corrupt row, not a guess. */
export function storedRole(value: string): Role {
  if (!(ROLES as readonly string[]).includes(value)) throw new Error(`unknown role in storage: ${value}`);
  return value as Role;
}
