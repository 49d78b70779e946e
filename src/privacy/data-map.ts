import { ALL_CUSTOMERS, referencesIn, type CustomerCounts } from '../customers/customer-counts.ts';
import type { CustomerReferences } from '../customers/customer-references.ts';
import type { Customers } from '../customers/customers.ts';
import type { DataCategory } from '../customers/customer-data.ts';
import type { DataSystem, DataSystems } from './data-systems.ts';

/**
 * A service Portvakt itself sends customer data to at sign-in (a SAML service provider, through
 * its attribute release): read-only on the map, with the categories its release gives.
 */
export interface DataRecipient {
  kind: 'saml_service_provider';
  id: string;
  name: string;
  categories: DataCategory[];
  /** What is released, by name. */
  attributes: string[];
}

/**
 * The data map read as a whole: every system with what it holds, on which legal basis, how long
 * the law makes it keep records and how a request reaches it; and how many customers it holds
 * (Portvakt: every customer; any other system: those with a reference in it), from the kept
 * counts (customers/customer-counts.ts), never by counting rows.
 */
export class DataMap {
  readonly #systems: DataSystems;
  readonly #references: CustomerReferences;
  readonly #counts: CustomerCounts;
  readonly #customers: Customers;
  readonly #recipients: () => Promise<DataRecipient[]>;

  constructor(deps: { systems: DataSystems; references: CustomerReferences; counts: CustomerCounts; customers: Customers; recipients?: () => Promise<DataRecipient[]> }) {
    this.#systems = deps.systems;
    this.#references = deps.references;
    this.#counts = deps.counts;
    this.#customers = deps.customers;
    this.#recipients = deps.recipients ?? (async () => []);
  }

  /** The services Portvakt sends customer data to at sign-in (SAML service providers), with what they receive. */
  recipients(): Promise<DataRecipient[]> {
    return this.#recipients();
  }

  /**
   * Every system, Portvakt first, with how many customers it holds data of; and `unmapped`, the
   * systems customers have references in that are not on the map (set before references were
   * limited to mapped systems, migration 0020): listed so they are added to the map or cleared.
   */
  async overview(): Promise<{ systems: Array<{ system: DataSystem; customerCount: number }>; unmapped: Array<{ system: string; customerCount: number }> }> {
    const [systems, totals] = await Promise.all([this.#systems.list(), this.#counts.totals()]);
    const mapped = new Set(systems.map((system) => referencesIn(system.key)));
    const unmapped = [...totals]
      .filter(([counter, count]) => counter.startsWith(referencesIn('')) && !mapped.has(counter) && count > 0)
      .map(([counter, count]) => ({ system: counter.slice(referencesIn('').length), customerCount: count }))
      .sort((a, b) => a.system.localeCompare(b.system));
    return { systems: systems.map((system) => ({ system, customerCount: totals.get(system.access === 'builtin' ? ALL_CUSTOMERS : referencesIn(system.key)) ?? 0 })), unmapped };
  }

  /** Every system, with the customer's reference in it (Portvakt: their id; null where none is known); `unmapped`, their references in systems not on the map. */
  async forCustomer(customerId: string): Promise<{ systems: Array<{ system: DataSystem; reference: string | null }>; unmapped: Array<{ system: string; reference: string }> }> {
    await this.#customers.get(customerId);
    const [systems, references] = await Promise.all([this.#systems.list(), this.#references.list(customerId)]);
    const bySystem = new Map(references.map((reference) => [reference.system, reference.reference]));
    const mapped = new Set(systems.map((system) => system.key));
    return {
      systems: systems.map((system) => ({ system, reference: system.access === 'builtin' ? customerId : (bySystem.get(system.key) ?? null) })),
      unmapped: references.filter((reference) => !mapped.has(reference.system)).map((reference) => ({ system: reference.system, reference: reference.reference })),
    };
  }
}
