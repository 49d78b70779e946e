import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../test/support/databases.ts';
import { openTestStore } from '../../test/support/test-store.ts';
import { ConsentLedger } from '../consent/consent-ledger.ts';
import { ConsentPurposes } from '../consent/consent-purposes.ts';
import { CustomerStore } from '../customers/customer-store.ts';
import { Customers } from '../customers/customers.ts';
import { AuditLog, OPERATOR } from '../events/audit-log.ts';
import { EventPublisher } from '../events/event-publisher.ts';
import { revokeAccountArtifacts } from '../oidc/artifact-adapter.ts';
import type { Store } from '../store/database.ts';
import { Guests } from './guests.ts';

describe.each(DIALECTS)('claiming a guest on %s', (dialect) => {
  let store: Store;
  let close: () => Promise<void>;
  let customers: Customers;
  let guests: Guests;

  beforeAll(async () => {
    ({ store, close } = await openTestStore(dialect));
    const audit = new AuditLog(store.db);
    const events = new EventPublisher();
    const customerStore = new CustomerStore(store.db);
    customers = new Customers(customerStore, 8, (id, trx) => revokeAccountArtifacts(trx, id), audit);
    const ledger = new ConsentLedger({ db: store.db, purposes: new ConsentPurposes(store.db, audit), audit, events, ipKey: randomBytes(32) });
    guests = new Guests({ db: store.db, customerStore, ledger, audit, events, pool: 'default' });
  });
  afterAll(() => close());

  const updatesOf = async (customerId: string) =>
    (await store.db.selectFrom('events').select(['type', 'data']).where('customer_id', '=', customerId).where('type', '=', 'customer.updated').execute()).map((event) => JSON.parse(event.data) as { fields: string[]; status: string });

  it('fills the names the account lacks and announces them as customer.updated, in the claim', async () => {
    const customer = await customers.create({ email: 'nameless@example.se', email_verified: true, family_name: 'Berg' }, OPERATOR);
    const { guest, token } = await guests.create({ email: 'nameless@example.se', given_name: 'Greta', family_name: 'Lund', order_references: ['W-1'], consents: [], locale: 'sv' });
    expect(await guests.claim(token, customer.id, ['email'])).toBe(true);
    const after = await customers.get(customer.id);
    // The account's own family name stays; only the missing given name comes from the checkout.
    expect([after.givenName, after.familyName]).toEqual(['Greta', 'Berg']);
    expect(await updatesOf(customer.id)).toEqual([{ fields: ['given_name'], status: 'active' }]);
    expect(await guests.ordersOf(customer.id)).toMatchObject([{ reference: 'W-1', guestId: guest.id }]);
  });

  it('announces nothing when the account already has both names', async () => {
    const customer = await customers.create({ email: 'named@example.se', email_verified: true, given_name: 'Nils', family_name: 'Ek' }, OPERATOR);
    const { token } = await guests.create({ email: 'named@example.se', given_name: 'Other', family_name: 'Person', order_references: ['W-2'], consents: [], locale: 'en' });
    expect(await guests.claim(token, customer.id, ['email'])).toBe(true);
    expect(await updatesOf(customer.id)).toEqual([]);
    expect((await customers.get(customer.id)).givenName).toBe('Nils');
  });

  it('claims nothing, and announces nothing, on a sign-in without a code to the address', async () => {
    const customer = await customers.create({ email: 'password-only@example.se', email_verified: true }, OPERATOR);
    const { guest, token } = await guests.create({ email: 'password-only@example.se', given_name: 'Pia', order_references: ['W-3'], consents: [], locale: 'sv' });
    expect(await guests.claim(token, customer.id, ['pwd'])).toBe(false);
    expect(await updatesOf(customer.id)).toEqual([]);
    expect((await guests.byToken(token))?.id).toBe(guest.id);
  });
});
