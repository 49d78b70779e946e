import { ALL_CUSTOMERS, referencesIn, type CustomerCounts } from '../customers/customer-counts.ts';
import type { CustomerReferences } from '../customers/customer-references.ts';
import type { Customers } from '../customers/customers.ts';
import type { DataCategory } from '../customers/customer-data.ts';
import type { DataSystem, DataSystems } from './data-systems.ts';

/** Someone Portvakt hands customer data to through a release setting (a store's tills), with the categories it receives. */
export interface Recipient {
  /** `store`, `saml_service_provider` … */
  kind: string;
  key: string;
  name: string;
  receives: DataCategory[];
  /** The data-map system that stands for it, when there is one (a store's till system). */
  system: string | null;
  /** What is released, by name, where the setting names it (a SAML service provider's attributes). */
  releases?: string[];
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
  readonly #recipients: Array<() => Promise<Recipient[]>> = [];

  constructor(deps: { systems: DataSystems; references: CustomerReferences; counts: CustomerCounts; customers: Customers }) {
    this.#systems = deps.systems;
    this.#references = deps.references;
    this.#counts = deps.counts;
    this.#customers = deps.customers;
  }

  /** A kind of recipient joins the map (a module that releases customer data by its settings registers how to list them). */
  addRecipients(list: () => Promise<Recipient[]>): void {
    this.#recipients.push(list);
  }

  /** Everyone customer data is released to by a setting, kind by kind. */
  async recipients(): Promise<Recipient[]> {
    return (await Promise.all(this.#recipients.map((list) => list()))).flat();
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
