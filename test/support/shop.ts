import type { TestDialect } from './databases.ts';
import { startPortvakt, type RunningPortvakt } from './portvakt-server.ts';
import { RelyingParty } from './relying-party.ts';

export const SHOP_REDIRECT = 'http://127.0.0.1:9/callback';

/** A running Portvakt with one first-party confidential client (the web shop) and its relying party. */
export async function startWithShop(dialect: TestDialect, env: Record<string, string> = {}): Promise<{ server: RunningPortvakt; rp: RelyingParty }> {
  const server = await startPortvakt(dialect, env);
  const client = (await server.api('POST', '/clients', { client_name: 'Shop', redirect_uris: [SHOP_REDIRECT], first_party: true })).body;
  const rp = await RelyingParty.discover(server.url, client.client_id, client.client_secret, SHOP_REDIRECT);
  return { server, rp };
}
