import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../test/support/databases.ts';
import { openTestStore } from '../../test/support/test-store.ts';
import { ClientStore } from '../clients/client-store.ts';
import { AuditLog } from '../events/audit-log.ts';
import type { Store } from '../store/database.ts';
import { ResourceServerStore } from './resource-server-store.ts';
import { resourceServerInputSchema } from './resource-server.schemas.ts';
import { ResourceServers } from './resource-servers.ts';

describe.each(DIALECTS)('ResourceServers on %s', (dialect) => {
  let store: Store;
  let close: () => Promise<void>;
  let repo: ResourceServerStore;
  const service = (production: boolean) => new ResourceServers({ store: repo, clients: new ClientStore(store.db), audit: new AuditLog(store.db), production });
  const input = (identifier: string) => resourceServerInputSchema.parse({ identifier, name: 'API' });

  beforeAll(async () => {
    ({ store, close } = await openTestStore(dialect));
    repo = new ResourceServerStore(store.db);
  });
  afterAll(() => close());

  it('takes only https identifiers in production, http too elsewhere', async () => {
    await expect(service(true).register(input('http://api.example/v1'))).rejects.toMatchObject({ code: 'invalid_identifier', status: 400 });
    expect((await service(true).register(input('https://api.example/v1'))).identifier).toBe('https://api.example/v1');
    expect((await service(false).register(input('http://127.0.0.1:8080/api'))).identifier).toBe('http://127.0.0.1:8080/api');
    await expect(service(false).register(input('urn:example:api'))).rejects.toMatchObject({ code: 'invalid_identifier' });
  });

  it('lets one of many concurrent registrations of an identifier win; the rest get identifier_taken and write nothing', async () => {
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => service(false).register(input('https://race.example/api'))));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[]) expect(result.reason).toMatchObject({ code: 'identifier_taken', status: 409 });
    const audited = await store.db.selectFrom('audit_log').select('subject_id').where('action', '=', 'resource_server.created').execute();
    const rows = await store.db.selectFrom('resource_servers').select('id').where('identifier', '=', 'https://race.example/api').execute();
    expect(rows).toHaveLength(1);
    expect(audited.filter((entry) => entry.subject_id === rows[0]!.id)).toHaveLength(1);
  });

  it('refuses a write over a stale version instead of losing the other write', async () => {
    const created = await service(false).register(input('https://stale.example/api'));
    const stale = (await repo.find(created.id))!;
    await service(false).update(created.id, { name: 'Renamed' });
    expect(await repo.update({ ...stale, name: 'Overwrite' })).toBe(false);
    expect((await service(false).get(created.id)).name).toBe('Renamed');
  });
});
