import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiRegistry } from '../http/api-route.ts';
import type { KeyRotation } from './key-rotation.ts';
import { SIGNING_ALGORITHMS, type SigningKeyInfo } from './signing-keys.ts';

const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

const signingKeyOutput = z.object({
  kid: z.string().describe('The key id in the JWKS and in the header of every token it signed (RFC 7638 thumbprint)'),
  alg: z.enum(SIGNING_ALGORITHMS),
  kty: z.enum(['RSA', 'EC']),
  use: z.literal('sig'),
  state: z.enum(['active', 'retired']).describe('active: signs new tokens; retired: published for verification only'),
  created_at: z.number().int(),
  retired_at: z.number().int().nullable(),
  expires_at: z.number().int().nullable().describe('When a retired key leaves the JWKS (every token it signed has expired by then); null while active'),
});

/** A key as the API and `portvakt keys list` show it: a description, never key material. */
export const presentSigningKey = (key: SigningKeyInfo): z.infer<typeof signingKeyOutput> => ({
  kid: key.kid,
  alg: key.alg,
  kty: key.kty,
  use: 'sig',
  state: key.state,
  created_at: Math.floor(key.createdAt / 1000),
  retired_at: seconds(key.retiredAt),
  expires_at: seconds(key.removeAfter),
});

/** `/signing-keys`: the keys tokens are signed with, and their rotation (as `portvakt keys rotate`). */
export function signingKeyRoutes(app: FastifyInstance, api: ApiRegistry, rotation: KeyRotation): void {
  api.add(app, {
    method: 'GET',
    url: '/signing-keys',
    tag: 'signing-keys',
    roles: ['admin'],
    summary: 'The published signing keys, active first: id, algorithm, state, dates (never key material)',
    status: 200,
    response: z.object({ signing_keys: z.array(signingKeyOutput) }),
    handler: async () => ({ signing_keys: (await rotation.list()).map(presentSigningKey) }),
  });
  api.add(app, {
    method: 'POST',
    url: '/signing-keys/rotate',
    tag: 'signing-keys',
    roles: ['admin'],
    sensitive: true,
    summary: 'Rotate: a new active key pair signs from now on, on every node; the old pair stays published until its tokens have expired',
    status: 200,
    response: z.object({
      added: z.array(z.string()),
      retired: z.array(z.string()),
      retired_published_for_seconds: z.number().int(),
    }),
    handler: async () => {
      const result = await rotation.rotate();
      return { added: result.added, retired: result.retired, retired_published_for_seconds: result.retiredPublishedForSeconds };
    },
  });
}
