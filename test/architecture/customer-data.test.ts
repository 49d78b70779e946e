import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustomerDataOwner } from '../../src/customers/customer-data.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';
import { schemaTables } from './table-writes.ts';

/**
 * Every table of the schema is classified exactly once, so a new table cannot hold customer data
 * that erasure forgets to forget: it is a registered owner's (Customers asks it to forget a
 * customer), or it holds no customer data, or it is kept on erasure for a reason written here.
 */

/** Tables that hold nothing about a customer: configuration, keys, counters. */
const NO_CUSTOMER_DATA: readonly string[] = [
  'clients',
  'signing_keys',
  'audit_head',
  'webhook_subscriptions',
  'webhook_sequence',
  'consent_purposes',
  'consent_purpose_versions',
  'consent_sequence',
  'data_systems',
  'connections',
  'api_keys',
  'profile_attributes',
  'brands',
  'resource_servers',
  // The console's operators (staff, never customers) and their credentials, invitations and sessions.
  'operators',
  'operator_passkeys',
  'operator_invitations',
  'operator_sessions',
  'customer_counts',
  'consent_figures',
];

/** Tables kept (or pseudonymized) when a customer is erased, and why. */
const KEPT_ON_ERASURE: Readonly<Record<string, string>> = {
  audit_log: 'evidence of who did what (Art. 5(2) accountability); entries hold ids and field names, never profile values',
  consent_records: 'proof of consent (Art. 7(1)): standing consents are withdrawn and the network hash blanked, the pseudonymous id, purpose, version, decision and time stay',
  suppressions: 'a keyed hash of the erased address, so the erased customer is not recreated from old lists (Art. 17, 21)',
  privacy_requests: 'evidence that the request was received and answered, and when (Art. 5(2), 12(3))',
  events: 'what was published to connected systems: ids and the names of changed fields, the erasure event itself included',
  webhook_deliveries: 'the delivery log of those events: ids only',
  login_throttle: 'failure counters keyed by keyed hashes of account and network; they expire on their own',
  outbox: 'messages on their way: the payload is blanked once sent or dead, the rows are deleted after the retention',
  dev_outbox: 'the development stand-in for mail and SMS; never written with NODE_ENV=production',
};

describe('every table is classified once for erasure', () => {
  let running: RunningPortvakt;
  let owners: readonly CustomerDataOwner[];

  beforeAll(async () => {
    running = await startPortvakt('sqlite');
    owners = running.portvakt.customers.dataOwners();
  });
  afterAll(() => running?.stop());

  /** Each table and where it is classified; a table in two places is there twice. */
  const classification = (registered: readonly CustomerDataOwner[]): Map<string, string[]> => {
    const places = new Map<string, string[]>();
    const put = (table: string, place: string) => places.set(table, [...(places.get(table) ?? []), place]);
    for (const owner of registered) for (const table of owner.tables) put(table, `owner ${owner.constructor.name}`);
    for (const table of NO_CUSTOMER_DATA) put(table, 'no customer data');
    for (const table of Object.keys(KEPT_ON_ERASURE)) put(table, 'kept on erasure');
    return places;
  };

  const problems = (registered: readonly CustomerDataOwner[], tables: readonly string[]) => {
    const places = classification(registered);
    return {
      unclassified: tables.filter((table) => !places.has(table)),
      twice: [...places].filter(([, where]) => where.length > 1).map(([table, where]) => `${table}: ${where.join(', ')}`),
      notInSchema: [...places.keys()].filter((table) => !tables.includes(table)),
    };
  };

  it('has each table of the schema as a registered owner\'s, as holding no customer data, or as kept with a reason', () => {
    expect(owners.length).toBeGreaterThan(10);
    expect(problems(owners, schemaTables())).toEqual({ unclassified: [], twice: [], notInSchema: [] });
  });

  it('gives a reason for every table kept on erasure', () => {
    for (const reason of Object.values(KEPT_ON_ERASURE)) expect(reason.length).toBeGreaterThan(20);
  });

  it('would see a new table left unclassified, an owner not registered, and a table classified twice (the check checks something)', () => {
    const tables = schemaTables();
    const planted = schemaTables(`export interface Database {\n${tables.map((table) => `  ${table}: X;`).join('\n')}\n  loyalty_points: LoyaltyPointsTable;\n}`);
    expect(problems(owners, planted).unclassified).toEqual(['loyalty_points']);
    const withoutGuests = owners.filter((owner) => !owner.tables.includes('guests'));
    expect(problems(withoutGuests, tables).unclassified).toEqual(['guests', 'customer_orders']);
    const twice = [...owners, { tables: ['audit_log'], forget: async () => {} } as CustomerDataOwner];
    expect(problems(twice, tables).twice).toEqual(['audit_log: owner Object, kept on erasure']);
  });
});
