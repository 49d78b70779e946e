import { sql, type Kysely } from 'kysely';

/**
 * References may now point only into systems on the data map (customers/customer-references.ts).
 * Those set before, into systems that are not on it, are kept — deleting a customer's id in a
 * system would lose the only way to reach them there — and reported: here once, on the upgrade's
 * standard error, and from now on by `GET /api/v1/data-map` as `unmapped`, until each system is
 * added to the map or its references are removed.
 */
export async function unmappedReferences(db: Kysely<unknown>): Promise<Array<{ system: string; customers: number }>> {
  const rows = await sql<{ system: string; n: number | string }>`
    select system, count(*) as n from customer_references
    where system not in (select key from data_systems)
    group by system order by system`.execute(db);
  return rows.rows.map((row) => ({ system: row.system, customers: Number(row.n) }));
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const unmapped = await unmappedReferences(db);
  if (unmapped.length === 0) return;
  const listed = unmapped.map((entry) => `${entry.system} (${entry.customers})`).join(', ');
  process.stderr.write(
    `portvakt: customer references in systems not on the data map, kept and not deleted: ${listed}. ` +
      'Add each system to the data map (POST /api/v1/systems) or remove its references; GET /api/v1/data-map lists them as unmapped.\n',
  );
}

/** Nothing was changed, so nothing is undone. */
export async function down(): Promise<void> {}
