import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { invalid } from '../errors/domain-error.ts';

/** Resolves a host name to every address it has (node's lookup by default). */
export type ResolveHost = (hostname: string) => Promise<string[]>;

/** Checks a URL an operator registers for Portvakt to call; throws a 400 DomainError when refused. */
export type OutboundUrlCheck = (url: string, field?: string) => Promise<void>;

const resolveAll: ResolveHost = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/**
 * The check made when a URL Portvakt will call out to is registered or changed (webhook receivers,
 * data-system endpoints; back-channel logout URIs can use the same): in production it must be https
 * (`insecure_url`) and its host must resolve (`unresolvable_host`) only to addresses the outbound
 * guard permits (`internal_address`), so a bad address is refused at once rather than at delivery.
 * Outside production nothing is checked here; the guard still checks every connection.
 */
export function outboundUrlCheck(deps: { production: boolean; permits: (address: string) => boolean; resolve?: ResolveHost }): OutboundUrlCheck {
  const resolve = deps.resolve ?? resolveAll;
  return async (url, field = 'url') => {
    if (!deps.production) return;
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:') throw invalid('insecure_url', `${field} must be an https URL in production`, [{ path: field, message: 'must be https' }]);
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    let addresses: string[];
    try {
      addresses = isIP(host) ? [host] : await resolve(host);
    } catch {
      throw invalid('unresolvable_host', `${field}: ${host} does not resolve`, [{ path: field, message: 'host does not resolve' }]);
    }
    if (addresses.length === 0) throw invalid('unresolvable_host', `${field}: ${host} does not resolve`, [{ path: field, message: 'host does not resolve' }]);
    const refused = addresses.find((address) => !deps.permits(address));
    if (refused !== undefined) {
      throw invalid('internal_address', `${field}: ${host} resolves to ${refused}, an internal or special-purpose address that calls out may not reach (OUTBOUND_ALLOW_INTERNAL)`, [{ path: field, message: 'internal or special-purpose address' }]);
    }
  };
}
