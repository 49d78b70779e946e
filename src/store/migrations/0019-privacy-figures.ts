import { sql, type Kysely } from 'kysely';

/** Clients per UPDATE when the brand of earlier consent records is filled in (two bound parameters each, and the list). */
const CLIENTS_PER_UPDATE = 200;

/**
 * Figures for the operator console (issue 20), kept so that reading them does not count a
 * million rows:
 * - `customer_counts`: how many customers Portvakt holds, and how many each system on the data map
 *   has a reference for, as insert-only changes (+1, -1) summed on read and folded now and then
 *   (see customers/customer-counts.ts for why not one row updated in place);
 * - `consent_records.brand`: the brand of the client a decision was given at, recorded with each
 *   decision from now on; records from before take the brand their client has at this upgrade;
 * - `consent_figures`: per purpose, version, brand and decision, how many customers have that as
 *   their current (latest) decision, updated in the ledger's transaction.
 * Each starts from what the database holds at the upgrade.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('customer_counts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('counter', 'text', (c) => c.notNull())
    .addColumn('customers', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('customer_counts_counter').on('customer_counts').columns(['counter']).execute();
  const customers = await sql<{ n: number | string }>`select count(*) as n from customers`.execute(db);
  const references = await sql<{ system: string; n: number | string }>`select system, count(*) as n from customer_references group by system`.execute(db);
  const counts = [{ counter: 'customers', n: Number(customers.rows[0]?.n ?? 0) }, ...references.rows.map((row) => ({ counter: `reference:${row.system}`, n: Number(row.n) }))];
  for (const { counter, n } of counts) await sql`insert into customer_counts (id, counter, customers) values (${crypto.randomUUID()}, ${counter}, ${n})`.execute(db);

  await db.schema.alterTable('consent_records').addColumn('brand', 'text').execute();
  const clients = await sql<{ client_id: string; metadata: string }>`select client_id, metadata from clients`.execute(db);
  const branded = clients.rows.flatMap((row) => {
    const brand = (JSON.parse(row.metadata) as { brand?: string | null }).brand;
    return brand ? [{ client: row.client_id, brand }] : [];
  });
  for (let offset = 0; offset < branded.length; offset += CLIENTS_PER_UPDATE) {
    const slice = branded.slice(offset, offset + CLIENTS_PER_UPDATE);
    const cases = sql.join(slice.map(({ client, brand }) => sql`when ${client} then ${brand}`), sql` `);
    await sql`update consent_records set brand = case client_id ${cases} end where client_id in (${sql.join(slice.map(({ client }) => client))})`.execute(db);
  }

  await db.schema
    .createTable('consent_figures')
    .addColumn('purpose_key', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    // '' where the decision was given at no brand's client (the group, the account pages, customer service).
    .addColumn('brand', 'text', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('customers', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('consent_figures_pk', ['purpose_key', 'version', 'brand', 'decision'])
    .execute();
  // Each customer's latest record per purpose (no later record of theirs for it), counted.
  await sql`
    insert into consent_figures (purpose_key, version, brand, decision, customers)
    select r.purpose_key, r.version, coalesce(r.brand, ''), r.decision, count(*)
    from consent_records r
    where not exists (select 1 from consent_records later where later.customer_id = r.customer_id and later.purpose_key = r.purpose_key and later.seq > r.seq)
    group by r.purpose_key, r.version, coalesce(r.brand, ''), r.decision
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('consent_figures').ifExists().execute();
  await db.schema.alterTable('consent_records').dropColumn('brand').execute();
  await db.schema.dropTable('customer_counts').ifExists().execute();
}
