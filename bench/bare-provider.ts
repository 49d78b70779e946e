import { createServer } from 'node:http';
import Provider from 'oidc-provider';

/**
 * The baseline: oidc-provider as it ships, in-memory adapter, one static client, the same
 * client_credentials, introspection and revocation features and token lifetime as Portvakt.
 */
const port = Number(process.argv[2]);
const provider = new Provider(`http://localhost:${port}`, {
  clients: [
    {
      client_id: 'bench',
      client_secret: process.env.BENCH_CLIENT_SECRET ?? 'bench-secret-bench-secret-bench-secret-0',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
  ],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
  },
  ttl: { ClientCredentials: 3600 },
});
createServer(provider.callback()).listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
