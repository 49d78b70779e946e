import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/support/test-store.ts';
import type { Database } from '../store/schema.ts';
import { upsertArtifacts } from './artifact-adapter.ts';
import { ArtifactUpserts, type ArtifactRow } from './artifact-upserts.ts';

/** The upserts gathered per turn on PostgreSQL, counted statement by statement. */
describe('batched artifact upserts on PostgreSQL', () => {
  let close: () => Promise<void>;
  let db: Kysely<Database>;
  /** The INSERT statements sent, each with its number of rows. */
  const statements: number[] = [];

  const row = (id: string, accountId: string): ArtifactRow => ({ model: 'Grant', id, payload: JSON.stringify({ accountId }), grant_id: null, account_id: accountId, uid: null, user_code: null, expires_at: null, consumed_at: null });
  const accountOf = async (id: string) => (await db.selectFrom('oidc_artifacts').select('account_id').where('model', '=', 'Grant').where('id', '=', id).executeTakeFirst())?.account_id;

  beforeAll(async () => {
    const opened = await openTestStore('postgres');
    const pool = new pg.Pool({ connectionString: opened.database.url, max: 10 });
    // As the store's pool does: an idle connection ended by the server (the test database dropped) is only dropped.
    pool.on('error', () => {});
    db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool }),
      log: (event) => {
        if (event.level === 'query' || event.level === 'error') {
          if (event.query.sql.startsWith('insert into "oidc_artifacts"')) statements.push(event.query.parameters.length / 9);
        }
      },
    });
    close = async () => {
      await db.destroy();
      await opened.close();
    };
  });
  afterAll(() => close());

  it('writes the upserts of one turn in one statement, each caller answered once it committed', async () => {
    statements.length = 0;
    const upserts = new ArtifactUpserts((rows) => upsertArtifacts(db, rows));
    const ids = Array.from({ length: 40 }, (_, i) => `one-turn-${i}`);
    const onAnswer = await Promise.all(ids.map((id) => upserts.upsert(row(id, 'a')).then(() => accountOf(id))));
    expect(onAnswer).toEqual(ids.map(() => 'a'));
    expect(statements).toEqual([40]);
  });

  it('keeps the last of two upserts of one artifact, and the next turn after the one before', async () => {
    statements.length = 0;
    const upserts = new ArtifactUpserts((rows) => upsertArtifacts(db, rows));
    const first = Promise.all([upserts.upsert(row('twice', 'first')), upserts.upsert(row('twice', 'second'))]);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const later = upserts.upsert(row('twice', 'third'));
    await first;
    await later;
    expect(await accountOf('twice')).toBe('third');
    expect(statements).toEqual([1, 1]);
  });

  it('rejects only the caller whose row PostgreSQL refused: the rows of a failed statement are written one by one', async () => {
    statements.length = 0;
    const upserts = new ArtifactUpserts((rows) => upsertArtifacts(db, rows));
    const results = await Promise.allSettled([upserts.upsert(row('fine-1', 'a')), upserts.upsert(row('refused\0', 'b')), upserts.upsert(row('fine-2', 'c'))]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect([await accountOf('fine-1'), await accountOf('fine-2')]).toEqual(['a', 'c']);
    expect(statements).toEqual([3, 1, 1, 1]);
  });

  it('lets reads of the model wait for its queued upserts', async () => {
    const upserts = new ArtifactUpserts((rows) => upsertArtifacts(db, rows));
    void upserts.upsert(row('read-after', 'r'));
    await upserts.settled('Session');
    await upserts.settled('Grant');
    expect(await accountOf('read-after')).toBe('r');
  });
});
