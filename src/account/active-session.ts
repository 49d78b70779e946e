import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Customers } from '../customers/customers.ts';
import { browserSession, type BrowserSession } from '../oidc/browser-session.ts';
import type { ProviderHost } from '../oidc/provider-host.ts';

/** The browser's session for the account pages; a disabled (or deleted) customer counts as signed out. */
export async function activeSession(host: ProviderHost, customers: Customers, request: FastifyRequest, reply: FastifyReply): Promise<BrowserSession | undefined> {
  const session = await browserSession(host, request, reply);
  if (!session) return undefined;
  const customer = await customers.findById(session.accountId);
  return customer?.status === 'active' ? session : undefined;
}
