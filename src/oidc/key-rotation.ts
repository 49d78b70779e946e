import { OPERATOR, type AuditLog } from '../events/audit-log.ts';
import { MAX_ACCESS_TOKEN_TTL } from '../resource-servers/resource-server.schemas.ts';
import { TTL } from './provider.ts';
import type { SigningKeyInfo, SigningKeyStore } from './signing-keys.ts';

export interface KeyRotationResult {
  added: string[];
  retired: string[];
  /** How long the retired keys stay published (they verify, never sign). */
  retiredPublishedForSeconds: number;
}

/**
 * A retired key stays published while tokens it signed can still be presented (ID tokens, and JWT
 * access tokens of resource servers, which may live up to a day), plus node refresh lag.
 */
export function retiredKeyOverlapSeconds(keyRefreshMs: number): number {
  return Math.max(TTL.IdToken, MAX_ACCESS_TOKEN_TTL) + 60 + Math.ceil(keyRefreshMs / 1000);
}

export interface KeyRotationDeps {
  keys: SigningKeyStore;
  audit: AuditLog;
  keyRefreshMs: number;
  /**
   * After the rotation committed: make it known. In the server, this node's provider reloads
   * before the answer and the other nodes hear a change notice; from the command line, a notice
   * through Redis (without Redis, nodes find the keys within KEY_REFRESH_SECONDS).
   */
  announce: (added: string[]) => Promise<void>;
}

/**
 * Signing-key rotation, one path for `portvakt keys rotate` and `POST /api/v1/signing-keys/rotate`:
 * a new active pair (RS256 and ES256), the old pair retired but published for the overlap, an
 * audit entry in the same transaction, then the announcement.
 */
export class KeyRotation {
  readonly #deps: KeyRotationDeps;

  constructor(deps: KeyRotationDeps) {
    this.#deps = deps;
  }

  /** The published keys, active first, described without key material. */
  list(): Promise<SigningKeyInfo[]> {
    return this.#deps.keys.list();
  }

  async rotate(now = Date.now()): Promise<KeyRotationResult> {
    const { keys, audit, keyRefreshMs, announce } = this.#deps;
    const overlap = retiredKeyOverlapSeconds(keyRefreshMs);
    await keys.ensureActive(now);
    const rotation = await keys.rotate(overlap, now, (trx, { added, retired }) =>
      audit.append(trx, { action: 'signing_keys.rotated', actor: OPERATOR, subject: { type: 'signing_keys', id: added.join(',') }, details: { added, retired, retired_published_for_seconds: overlap } }, now),
    );
    await announce(rotation.added);
    return { ...rotation, retiredPublishedForSeconds: overlap };
  }
}
