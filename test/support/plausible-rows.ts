import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../../src/store/database.ts';

/** Kysely's record of applied migrations: not data, never filled or counted. */
const MIGRATION_TABLES = new Set(['portvakt_migrations', 'portvakt_migrations_lock']);

/** A column whose value must be another table's: `table.column` references `references.column`. */
interface ForeignKey {
  column: string;
  references: string;
  referencedColumn: string;
}

interface Column {
  name: string;
  integer: boolean;
  nullable: boolean;
}

interface Table {
  name: string;
  columns: Column[];
  foreignKeys: ForeignKey[];
}

/**
 * A value the code reads with meaning (a status it switches on, JSON it parses, a sealed key it
 * opens), keyed `table.column`: what the generic rule below would make up would not be plausible.
 */
export type Overrides = Record<string, (row: Record<string, unknown>) => unknown>;

/** Data tables of the database as it is now, read from its catalogue: columns, types, foreign keys. */
export async function readTables(db: Kysely<any>, dialect: Dialect): Promise<Table[]> {
  const tables = (await db.introspection.getTables()).filter((table) => !MIGRATION_TABLES.has(table.name) && !table.isView);
  return Promise.all(
    tables.map(async (table) => ({
      name: table.name,
      columns: table.columns.map((column) => ({ name: column.name, integer: /int/i.test(column.dataType), nullable: column.isNullable })),
      foreignKeys: await foreignKeysOf(db, dialect, table.name),
    })),
  );
}

async function foreignKeysOf(db: Kysely<any>, dialect: Dialect, table: string): Promise<ForeignKey[]> {
  if (dialect === 'sqlite') {
    const rows = await sql<{ table: string; from: string; to: string }>`select * from pragma_foreign_key_list(${table})`.execute(db);
    return rows.rows.map((row) => ({ column: row.from, references: row.table, referencedColumn: row.to }));
  }
  const rows = await sql<{ column: string; references: string; referenced_column: string }>`
    select attribute.attname as column, referenced.relname as references, referenced_attribute.attname as referenced_column
    from pg_constraint constraint_
    join pg_class owner on owner.oid = constraint_.conrelid
    join pg_class referenced on referenced.oid = constraint_.confrelid
    cross join lateral unnest(constraint_.conkey, constraint_.confkey) as pair(own, other)
    join pg_attribute attribute on attribute.attrelid = constraint_.conrelid and attribute.attnum = pair.own
    join pg_attribute referenced_attribute on referenced_attribute.attrelid = constraint_.confrelid and referenced_attribute.attnum = pair.other
    where constraint_.contype = 'f' and owner.relname = ${table} and owner.relnamespace = 'public'::regnamespace`.execute(db);
  return rows.rows.map((row) => ({ column: row.column, references: row.references, referencedColumn: row.referenced_column }));
}

/** Tables in an order where each comes after the tables it references (a reference to itself aside). */
function referencedFirst(tables: Table[]): Table[] {
  const byName = new Map(tables.map((table) => [table.name, table]));
  const ordered: Table[] = [];
  const placed = new Set<string>();
  const place = (table: Table, path: string[]) => {
    if (placed.has(table.name)) return;
    if (path.includes(table.name)) throw new Error(`foreign keys in a cycle: ${[...path, table.name].join(' -> ')}`);
    for (const key of table.foreignKeys) if (key.references !== table.name) place(byName.get(key.references)!, [...path, table.name]);
    placed.add(table.name);
    ordered.push(table);
  };
  for (const table of tables) place(table, []);
  return ordered;
}

const NOW = Date.UTC(2026, 0, 15, 12);

/**
 * The generic value of a column: a time for `…_at`/`…_until`/`at`, 1 for other numbers (counts,
 * versions, flags), a fresh UUID for an identifier, and for other text a short value that names its
 * column, so a failure says where it came from.
 */
function genericValue(table: string, column: Column): unknown {
  if (column.integer) {
    if (/(_at|_until|_after)$|^at$/.test(column.name)) return NOW;
    // A sequence's next number is its head's plus one: a row far above it never collides.
    if (column.name === 'seq') return 1_000_000;
    return 1;
  }
  if (column.name === 'id' || column.name.endsWith('_id') || column.name === 'uid') return randomUUID();
  if (column.name.includes('email')) return `${table.replaceAll('_', '-')}@old-release.example`;
  return `old ${table}.${column.name}`;
}

/**
 * One plausible row in every empty data table of the database as it is (a table a migration gave a
 * row already keeps only that one): the generic value of each column, a referenced row's value for
 * a foreign key, `overrides` where the code reads meaning. Answers the rows per table afterwards.
 */
export async function fillEveryTable(db: Kysely<any>, dialect: Dialect, overrides: Overrides): Promise<Map<string, number>> {
  const tables = referencedFirst(await readTables(db, dialect));
  const inserted = new Map<string, Record<string, unknown>>();
  const counts = new Map<string, number>();
  for (const table of tables) {
    const existing = await db.selectFrom(table.name).selectAll().limit(1).executeTakeFirst();
    if (existing) {
      inserted.set(table.name, existing);
    } else {
      const row: Record<string, unknown> = {};
      for (const column of table.columns) {
        const key = table.foreignKeys.find((foreign) => foreign.column === column.name);
        if (key && key.references === table.name) row[column.name] = column.nullable ? null : undefined;
        else if (key) row[column.name] = inserted.get(key.references)![key.referencedColumn];
        else row[column.name] = genericValue(table.name, column);
      }
      for (const column of table.columns) {
        const override = overrides[`${table.name}.${column.name}`];
        if (override) row[column.name] = override(row);
      }
      // A reference to its own table points at the row itself.
      for (const key of table.foreignKeys) if (key.references === table.name && row[key.column] === undefined) row[key.column] = row[key.referencedColumn];
      await db.insertInto(table.name).values(row).execute();
      inserted.set(table.name, row);
    }
    counts.set(table.name, await countRows(db, table.name));
  }
  return counts;
}

export async function countRows(db: Kysely<any>, table: string): Promise<number> {
  const { n } = await db.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  return Number(n);
}

/** Overrides whose names are not in the database (a table renamed or dropped since) are mistakes in the test. */
export function unknownOverrides(overrides: Overrides, tables: Table[]): string[] {
  const known = new Set(tables.flatMap((table) => table.columns.map((column) => `${table.name}.${column.name}`)));
  return Object.keys(overrides).filter((name) => !known.has(name));
}
