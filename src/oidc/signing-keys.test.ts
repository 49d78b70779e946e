import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../test/support/databases.ts';
import { openTestStore } from '../../test/support/test-store.ts';
import { deriveKey } from '../crypto/derived-keys.ts';
import type { Store } from '../store/database.ts';
import { SigningKeyStore } from './signing-keys.ts';

const SECRET = 'signing-key-test-secret-0123456789abcdef';

describe.each(DIALECTS)('SigningKeyStore on %s', (dialect) => {
  let store: Store;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ store, close } = await openTestStore(dialect));
  });
  afterAll(() => close());

  it('creates one RS256 and one ES256 key, sealed at rest', async () => {
    const keys = new SigningKeyStore(store.db, deriveKey(SECRET, 'signing-key-encryption'));
    await keys.ensureActive();
    await keys.ensureActive();
    const published = await keys.published();
    expect(published.map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);
    const rows = await store.db.selectFrom('signing_keys').selectAll().execute();
    expect(rows).toHaveLength(2);
    for (const key of published) {
      const row = rows.find((candidate) => candidate.kid === key.kid)!;
      expect(row.encrypted_jwk).toMatch(/^v1\./);
      expect(row.encrypted_jwk).not.toContain(key.d!);
    }
  });

  it('refuses to open the keys with another secret', async () => {
    await expect(new SigningKeyStore(store.db, deriveKey('a-different-secret-0123456789abcdefgh', 'signing-key-encryption')).published()).rejects.toThrow(/PORTVAKT_SECRET/);
  });

  it('rotates with overlap: new keys first, old ones published until remove_after, then deleted', async () => {
    const keys = new SigningKeyStore(store.db, deriveKey(SECRET, 'signing-key-encryption'));
    const before = (await keys.published()).map((key) => key.kid);
    const now = Date.now();
    const { added, retired } = await keys.rotate(60, now);
    expect(retired.sort()).toEqual([...before].sort());
    const during = await keys.published(now + 1000);
    expect(during.slice(0, 2).map((key) => key.kid).sort()).toEqual([...added].sort());
    expect(during.map((key) => key.kid)).toEqual(expect.arrayContaining(before));
    const listed = await keys.list(now + 1000);
    expect(listed.map((key) => key.kid)).toEqual(during.map((key) => key.kid));
    expect(listed.map((key) => key.state)).toEqual(['active', 'active', 'retired', 'retired']);
    expect(listed.map((key) => `${key.alg}:${key.kty}`).sort()).toEqual(['ES256:EC', 'ES256:EC', 'RS256:RSA', 'RS256:RSA']);
    expect(listed.filter((key) => key.state === 'retired').every((key) => key.removeAfter === now + 60_000 && key.retiredAt === now)).toBe(true);
    expect(JSON.stringify(listed)).not.toMatch(/"(d|n|x|y|encrypted_jwk)"/);
    expect(await keys.published(now + 61_000)).toHaveLength(2);
    expect((await keys.list(now + 61_000)).map((key) => key.state)).toEqual(['active', 'active']);
    expect(await keys.removeExpired(now + 61_000)).toBe(2);
  });
});
