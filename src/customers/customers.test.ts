import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../test/support/databases.ts';
import { openTestStore } from '../../test/support/test-store.ts';
import { AuditLog, OPERATOR } from '../events/audit-log.ts';
import { revokeAccountArtifacts } from '../oidc/artifact-adapter.ts';
import type { Store } from '../store/database.ts';
import { CustomerStore } from './customer-store.ts';
import { Customers } from './customers.ts';

describe.each(DIALECTS)('Customers on %s', (dialect) => {
  let store: Store;
  let close: () => Promise<void>;
  let repo: CustomerStore;
  let customers: Customers;

  beforeAll(async () => {
    ({ store, close } = await openTestStore(dialect));
    repo = new CustomerStore(store.db);
    customers = new Customers(repo, 8, (id, trx) => revokeAccountArtifacts(trx, id), new AuditLog(store.db));
  });
  afterAll(() => close());

  it('lets one of many concurrent sign-ups with the same address win; the rest get email_taken', async () => {
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => customers.create({ email: 'race@example.se', email_verified: false, given_name: `R${i}` }, OPERATOR)));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[]) {
      expect(result.reason).toMatchObject({ code: 'email_taken', status: 409 });
    }
    const rows = await store.db.selectFrom('customer_emails').select('customer_id').where('email', '=', 'race@example.se').execute();
    expect(rows).toHaveLength(1);
    expect(await store.db.selectFrom('customers').select('id').where('given_name', 'like', 'R%').execute()).toHaveLength(1);
  });

  it('refuses a write over a stale version instead of losing the other write', async () => {
    const created = await customers.create({ email: 'stale@example.se', email_verified: false }, OPERATOR);
    const stale = (await repo.findById(created.id))!;
    await customers.update(created.id, { status: 'disabled' }, OPERATOR);
    const lost = await repo.transaction((trx) => repo.update({ ...stale, givenName: 'Overwrite' }, trx));
    expect(lost).toBe(false);
    expect((await customers.get(created.id)).status).toBe('disabled');
  });

  it('never loses a status change among concurrent updates', async () => {
    const created = await customers.create({ email: 'many@example.se', email_verified: false }, OPERATOR);
    const results = await Promise.allSettled([
      customers.update(created.id, { status: 'disabled' }, OPERATOR),
      ...Array.from({ length: 5 }, (_, i) => customers.update(created.id, { given_name: `N${i}` }, OPERATOR)),
    ]);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'concurrent_update', status: 409 });
    }
    const disabled = results[0]!.status === 'fulfilled';
    expect((await customers.get(created.id)).status).toBe(disabled ? 'disabled' : 'active');
  });
});
