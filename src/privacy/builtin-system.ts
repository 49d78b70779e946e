import type { ConsentLedger } from '../consent/consent-ledger.ts';
import { DATA_CATEGORIES, isoTime, type DataCategory, type TableDeclaration } from '../customers/customer-data.ts';
import type { CustomerRecord } from '../customers/customer-store.ts';
import { presentCustomer, type Customers } from '../customers/customers.ts';
import type { PrivacyTasksTable } from '../store/schema.ts';
import { PORTVAKT_SECTIONS } from './export-format.ts';
import type { PrivacyRequest } from './privacy-request.ts';
import type { Suppressions } from './suppressions.ts';
import type { Receipt } from './system-contract.ts';

/**
 * Portvakt's own part of a privacy request, run in-process by the worker like any other task.
 * Erasure: the customer, their addresses, credentials, upstream identities, external references, sessions,
 * tokens and grants go in one transaction, with any copy made for an export; every standing
 * consent is withdrawn (audiences drop the customer) and the records keep only the pseudonymous id
 * with the decisions, not the hashed network (proof of consent, Art. 7(1)); audit entries only
 * ever held ids; the address is kept as a keyed hash on the suppression list.
 * Export: the profile, and each owner's and holder's sections of its own tables (`exportOf`),
 * in the documented format (export-format.ts).
 */
export class BuiltinSystem {
  readonly #customers: Customers;
  readonly #ledger: ConsentLedger;
  readonly #suppressions: Suppressions;

  constructor(deps: { customers: Customers; ledger: ConsentLedger; suppressions: Suppressions }) {
    this.#customers = deps.customers;
    this.#ledger = deps.ledger;
    this.#suppressions = deps.suppressions;
  }

  run(task: PrivacyTasksTable, request: PrivacyRequest): Promise<Receipt> {
    return task.mode === 'export' ? this.#export(request) : this.#erase(task, request);
  }

  async #erase(_task: PrivacyTasksTable, request: PrivacyRequest): Promise<Receipt> {
    // What goes is each owner's to forget (Customers.erase asks them all, those only erasure asks
    // included: copies made for earlier exports, the device list, codes on their way to the address).
    const erased = await this.#customers.erase(request.customer_id, request.id, async (trx, customer) => {
      await this.#suppressions.add(trx, customer.pool, customer.email, request.id);
      await this.#ledger.withdrawAllWithin(trx, customer.id, request.id);
    });
    const declarations = this.#customers.dataDeclarations();
    return {
      request_id: request.id,
      status: 'completed',
      ...erasureOutcome(declarations),
      note: erased
        ? `Standing consents were withdrawn; the suppression list keeps a keyed hash of the e-mail address. Pseudonymized, and why: ${pseudonymizedReasons(declarations).join('; ')}.`
        : 'Nothing was left to erase: an earlier attempt of this task had done it.',
    };
  }

  /** Every holder's sections (`Customers.exportData`), in the order of the export format, after the profile. */
  async #export(request: PrivacyRequest): Promise<Receipt> {
    const { customer, sections } = await this.#customers.exportData(request.customer_id);
    const values = Object.fromEntries(((sections.attributes ?? []) as Array<{ key: string; value: unknown }>).map((row) => [row.key, row.value]));
    const ordered = Object.fromEntries(PORTVAKT_SECTIONS.filter((name) => name !== 'profile').map((name) => [name, sections[name] ?? []]));
    return {
      request_id: request.id,
      status: 'completed',
      deleted: [],
      retained: [],
      pseudonymized: [],
      export: { profile: exportedProfile(customer, values), ...ordered, ...sections },
    };
  }
}

/**
 * What Portvakt's erasure does, read from the table declarations (customers/customer-data.ts), the
 * categories of each table: rows deleted → deleted, pseudonymized → pseudonymized, kept → retained
 * with the table's reason. A category held in several tables can be both deleted (from one) and
 * retained (in another, for its reason).
 */
/** Each pseudonymized table with its reason (`consent_records: proof of consent …`), for the receipt's note: the receipt's list names categories only. */
export function pseudonymizedReasons(declarations: readonly TableDeclaration[]): string[] {
  return declarations.flatMap((declaration) => (declaration.erasure.rule === 'pseudonymize' ? [`${declaration.table}: ${declaration.erasure.reason}`] : []));
}

export function erasureOutcome(declarations: readonly TableDeclaration[]): Pick<Receipt, 'deleted' | 'retained' | 'pseudonymized'> {
  const order = Object.keys(DATA_CATEGORIES) as DataCategory[];
  const categoriesOf = (declaration: TableDeclaration) => order.filter((category) => (Object.values(declaration.columns) as string[]).includes(category));
  const of = (rule: string) => order.filter((category) => declarations.some((declaration) => declaration.erasure.rule === rule && categoriesOf(declaration).includes(category)));
  const retained = declarations.flatMap((declaration) => (declaration.erasure.rule === 'keep' ? categoriesOf(declaration).map((category) => ({ category, reason: `${declaration.table}: ${(declaration.erasure as { reason: string }).reason}` })) : []));
  return { deleted: of('delete'), pseudonymized: of('pseudonymize'), retained: retained.sort((a, b) => order.indexOf(a.category as DataCategory) - order.indexOf(b.category as DataCategory)) };
}

/** The profile as the API shows it (presentCustomer), with times in ISO 8601 and the attribute values: address, birthdate and the custom ones. */
function exportedProfile(customer: CustomerRecord, values: Record<string, unknown>) {
  const { address, birthdate, ...custom } = values;
  return {
    ...presentCustomer(customer),
    created_at: isoTime(customer.createdAt),
    updated_at: isoTime(customer.updatedAt),
    address: (address ?? null) as Record<string, string> | null,
    birthdate: typeof birthdate === 'string' ? birthdate : null,
    attributes: custom,
  };
}
