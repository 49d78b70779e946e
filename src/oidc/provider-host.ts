import type Provider from 'oidc-provider';
import type { PrivateJwk, SigningKeyStore } from './signing-keys.ts';

/**
 * Holds the live oidc-provider. Its key set is fixed at construction, so when another node (or
 * `portvakt keys rotate`) changes the published keys, a new Provider is built from the same
 * configuration and swapped in. All state is in the database, so nothing is lost in the swap.
 */
export class ProviderHost {
  readonly #keys: SigningKeyStore;
  readonly #build: (jwks: PrivateJwk[]) => Provider;
  #current: Provider;
  #callback: ReturnType<Provider['callback']>;
  #fingerprint: string;

  private constructor(keys: SigningKeyStore, build: (jwks: PrivateJwk[]) => Provider, jwks: PrivateJwk[]) {
    this.#keys = keys;
    this.#build = build;
    this.#current = build(jwks);
    this.#callback = this.#current.callback();
    this.#fingerprint = fingerprint(jwks);
  }

  static async start(keys: SigningKeyStore, build: (jwks: PrivateJwk[]) => Provider): Promise<ProviderHost> {
    await keys.ensureActive();
    return new ProviderHost(keys, build, await keys.published());
  }

  get current(): Provider {
    return this.#current;
  }

  /** The Node request handler of the current provider (built once per provider). */
  get callback(): ReturnType<Provider['callback']> {
    return this.#callback;
  }

  /** Re-reads the published keys; rebuilds the provider when they changed. True when swapped. */
  async refreshKeys(): Promise<boolean> {
    await this.#keys.removeExpired();
    const jwks = await this.#keys.published();
    const next = fingerprint(jwks);
    if (next === this.#fingerprint) return false;
    this.#current = this.#build(jwks);
    this.#callback = this.#current.callback();
    this.#fingerprint = next;
    return true;
  }
}

function fingerprint(jwks: PrivateJwk[]): string {
  return jwks.map((jwk) => jwk.kid).join(',');
}
