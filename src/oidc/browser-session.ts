import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ProviderHost } from './provider-host.ts';

export interface BrowserSession {
  accountId: string;
  /** Stable for the browser session (the cookie's id changes at every login). */
  uid: string;
  /** When the customer last proved who they are, in epoch seconds. */
  loginTs: number;
  amr: string[];
}

/**
 * The oidc-provider session of this browser, read with the provider's own cookie handling
 * (signed `_session` cookie, key rotation included). Undefined when nobody is signed in.
 */
export async function browserSession(host: ProviderHost, request: FastifyRequest, reply: FastifyReply): Promise<BrowserSession | undefined> {
  const provider = host.current;
  const session = await provider.Session.get(provider.createContext(request.raw, reply.raw));
  if (!session.accountId) return undefined;
  return { accountId: session.accountId, uid: session.uid, loginTs: session.loginTs ?? 0, amr: session.amr ?? [] };
}
