import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_CATEGORIES, declaredCategories, tablesOf, type TableDeclaration } from '../../src/customers/customer-data.ts';
import { PORTVAKT_SECTIONS } from '../../src/privacy/export-format.ts';
import type { Database } from '../../src/store/schema.ts';
import { DIALECTS, type TestDialect } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';

/**
 * Completeness by construction: every table of a migrated database (read from the database itself,
 * on SQLite and PostgreSQL) is declared column by column by the module that owns it
 * (customers/customer-data.ts: category, erasure, export), or listed here as holding no customer
 * data. A new table, or a new column of a declared table, fails this test until it is declared, so
 * it cannot escape the data map, the export or the erasure unnoticed.
 */

/** Tables that hold nothing about a customer: configuration, keys, counters, the console's staff, migrations. */
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
  // Personalization's definitions: event types and segments (rules and texts), no one in particular.
  'signal_types',
  'segments',
  // The group's stores and what their tills may learn.
  'stores',
  // SAML: the registered service providers, the IdP's signing key, the AuthnRequest IDs already answered (the SP's, not a customer's).
  'saml_service_providers',
  'saml_signing_keys',
  'saml_request_ids',
  // Kysely's migration bookkeeping.
  'import_runs',
  'import_run_lines',
  'import_jobs',
  'portvakt_migrations',
  'portvakt_migrations_lock',
];

/** A column name that suggests data about a person. */
const LOOKS_PERSONAL = /customer|account|email|phone|name|address|birth|subject|user_agent|ip|locale/;

/** Columns of the tables above whose names look personal, and what they hold instead. */
const NOT_PERSONAL: Readonly<Record<string, string>> = {
  'api_keys.name': "an API key's name, given by an operator",
  'brands.name': "a brand's (chain's) name",
  'connections.name': "an identity provider's name",
  'connections.trust_email_verified': "a setting: whether the provider's email_verified is taken as proof",
  'consent_figures.customers': 'a number of customers, no one in particular',
  'customer_counts.customers': 'a number of customers, no one in particular',
  'data_systems.name': "a system's name on the data map",
  'operators.email': "an operator's address: staff of the group, not a customer",
  'operators.name': "an operator's name: staff of the group, not a customer",
  'portvakt_migrations.name': "a migration's name (Kysely's bookkeeping)",
  'profile_attributes.customer_editable': 'a setting of an attribute: whether customers may change their own value of it',
  'resource_servers.name': "an API's name (a resource server)",
  'saml_service_providers.name': "a SAML service provider's name, given by an operator",
  'saml_service_providers.nameid_format': 'a setting: which kind of NameID the service provider gets (persistent pseudonym or e-mail)',
  'signal_types.description': 'what an event type means, written by an operator',
  'stores.name': "a store's name, given by an operator",
  'webhook_subscriptions.description': "a subscription's description, written by an operator",
};

/** Each table of the database and its columns. */
type Schema = Map<string, string[]>;

async function readSchema(db: Kysely<Database>, dialect: TestDialect): Promise<Schema> {
  const rows =
    dialect === 'sqlite'
      ? await sql<{ table_name: string; column_name: string }>`select m.name as table_name, c.name as column_name from sqlite_master m, pragma_table_info(m.name) c where m.type = 'table' and m.name not like 'sqlite_%' order by m.name, c.cid`.execute(db)
      : await sql<{ table_name: string; column_name: string }>`select table_name, column_name from information_schema.columns where table_schema = current_schema() order by table_name, ordinal_position`.execute(db);
  const schema: Schema = new Map();
  for (const row of rows.rows) schema.set(row.table_name, [...(schema.get(row.table_name) ?? []), row.column_name]);
  return schema;
}

/** What the schema holds that the declarations do not account for, and the other way round. */
function problems(schema: Schema, declarations: readonly TableDeclaration[]) {
  const declared = new Map<string, TableDeclaration[]>();
  for (const declaration of declarations) declared.set(declaration.table, [...(declared.get(declaration.table) ?? []), declaration]);
  const columnsOf = (declaration: TableDeclaration) => Object.keys(declaration.columns);
  const listed = (table: string) => NO_CUSTOMER_DATA.includes(table);
  return {
    undeclaredTables: [...schema.keys()].filter((table) => !declared.has(table) && !listed(table)),
    declaredTwice: [...declared].filter(([table, found]) => found.length > 1 || listed(table)).map(([table]) => table),
    undeclaredColumns: [...declared].flatMap(([table, [declaration]]) => (schema.get(table) ?? []).filter((column) => !columnsOf(declaration!).includes(column)).map((column) => `${table}.${column}`)),
    columnsNotInDatabase: [...declared].flatMap(([table, [declaration]]) => columnsOf(declaration!).filter((column) => schema.has(table) && !schema.get(table)!.includes(column)).map((column) => `${table}.${column}`)),
    tablesNotInDatabase: [...declared.keys(), ...NO_CUSTOMER_DATA].filter((table) => !schema.has(table)),
    personalLooking: NO_CUSTOMER_DATA.flatMap((table) => (schema.get(table) ?? []).filter((column) => LOOKS_PERSONAL.test(column) && !NOT_PERSONAL[`${table}.${column}`]).map((column) => `${table}.${column}`)),
  };
}

const NONE = { undeclaredTables: [], declaredTwice: [], undeclaredColumns: [], columnsNotInDatabase: [], tablesNotInDatabase: [], personalLooking: [] };

describe.each(DIALECTS)('every table and column of the database is declared, or holds no customer data, on %s', (dialect) => {
  let running: RunningPortvakt;
  let db: Kysely<Database>;
  let declarations: readonly TableDeclaration[];

  beforeAll(async () => {
    running = await startPortvakt(dialect);
    db = running.portvakt.store.db;
    declarations = running.portvakt.customers.dataDeclarations();
  });
  afterAll(() => running?.stop());

  it('has every table declared by its owner (every column of it) or listed as holding no customer data, each once', async () => {
    const schema = await readSchema(db, dialect);
    expect(schema.size).toBeGreaterThan(40);
    expect(problems(schema, declarations)).toEqual(NONE);
  });

  it('gives a reason for every table kept or pseudonymized on erasure, or omitted from the export, and for every personal-looking column listed as not personal', () => {
    const reasons = declarations.flatMap((declaration) => [declaration.erasure, declaration.export]).flatMap((rule) => ('reason' in rule && rule.reason !== undefined ? [rule.reason] : []));
    expect(reasons.length).toBeGreaterThan(10);
    for (const reason of [...reasons, ...Object.values(NOT_PERSONAL)]) expect(reason.length).toBeGreaterThan(20);
    const kept = declarations.filter((declaration) => declaration.erasure.rule !== 'delete').map((declaration) => declaration.table).sort();
    expect(kept).toEqual(['audit_log', 'consent_records', 'dev_outbox', 'events', 'login_throttle', 'outbox', 'privacy_exports', 'privacy_requests', 'privacy_tasks', 'suppressions', 'webhook_deliveries']);
  });

  it('puts every table the export includes in a section of the documented export format, and every section but the derived consent states comes from a table', () => {
    const sections = declarations.flatMap((declaration) => (declaration.export.rule === 'included' ? [declaration.export.section] : []));
    expect(sections.filter((section) => !PORTVAKT_SECTIONS.includes(section as never))).toEqual([]);
    expect(PORTVAKT_SECTIONS.filter((section) => !sections.includes(section))).toEqual(['consents']);
    const omitted = declarations.filter((declaration) => declaration.export.rule === 'omitted').map((declaration) => declaration.table).sort();
    expect(omitted).toEqual(['customer_name_keys', 'dev_outbox', 'events', 'interaction_flows', 'login_throttle', 'member_codes', 'oidc_artifacts', 'one_time_codes', 'outbox', 'privacy_exports', 'segment_marks', 'segment_rechecks', 'suppressions', 'webhook_deliveries']);
  });

  it("lists on Portvakt's own data-map entry every category the declarations hold, in the data map's order", async () => {
    const portvakt = (await running.api('GET', '/systems')).body.systems[0];
    expect(portvakt.key).toBe('portvakt');
    expect(portvakt.categories).toEqual(declaredCategories(declarations));
    expect(portvakt.categories).toEqual(expect.arrayContaining(['profile_attributes', 'orders', 'caller_verifications', 'brand_visits']));
    expect(portvakt.categories).toEqual(Object.keys(DATA_CATEGORIES).filter((category) => portvakt.categories.includes(category)));
  });

  it('would see an undeclared table and column, a declared column or table the database lacks, a table declared twice and an unexplained personal column (the check checks something)', async () => {
    await sql`create table loyalty_points (customer_id varchar(64) not null, points integer not null)`.execute(db);
    await sql`alter table customers add column nickname varchar(100)`.execute(db);
    await sql`alter table brands add column owner_email varchar(200)`.execute(db);
    const planted = await readSchema(db, dialect);
    const guests = declarations.find((declaration) => declaration.table === 'guests')!;
    const stale = { ...guests, columns: { ...guests.columns, voucher_code: 'orders' } } as TableDeclaration;
    const gone = { table: 'wishlists', columns: { customer_id: 'identity' }, erasure: { rule: 'delete' }, export: { rule: 'included' } } as unknown as TableDeclaration;
    const audit = declarations.find((declaration) => declaration.table === 'audit_log')!;
    const withPlanted = [...declarations.filter((declaration) => declaration !== guests), stale, gone, audit];
    expect(problems(planted, withPlanted)).toEqual({
      undeclaredTables: ['loyalty_points'],
      declaredTwice: ['audit_log'],
      undeclaredColumns: ['customers.nickname'],
      columnsNotInDatabase: ['guests.voucher_code'],
      tablesNotInDatabase: ['wishlists'],
      personalLooking: ['brands.owner_email'],
    });
    // An owner left unregistered leaves its tables undeclared.
    const guestsOwner = running.portvakt.customers.dataOwners().find((owner) => tablesOf(owner).includes('guests'))!;
    const withoutGuests = declarations.filter((declaration) => !tablesOf(guestsOwner).includes(declaration.table));
    expect(problems(planted, withoutGuests).undeclaredTables.sort()).toEqual(['customer_orders', 'guests', 'loyalty_points']);
  });
});
