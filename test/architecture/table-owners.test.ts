import { describe, expect, it } from 'vitest';
import { sourceFiles } from './source-files.ts';
import { schemaTables, tablesWritten, writersByTable } from './table-writes.ts';

/**
 * One owner per table (DESIGN.md): every table is written — INSERT, UPDATE, DELETE, through
 * Kysely or raw `sql` — by exactly one module of `src/` (tests and migrations left out). Any other
 * module asks the owner, passing its transaction when the write must be part of its own.
 */


function sharedTables(files: Map<string, string>): Record<string, string[]> {
  const tables = schemaTables();
  return Object.fromEntries([...writersByTable(files, tables)].filter(([, writers]) => writers.length > 1));
}

describe('one owner per table', () => {
  const files = sourceFiles();

  it('reads the tables from the schema and sees writes in the source', () => {
    const tables = schemaTables();
    expect(tables.length).toBeGreaterThan(30);
    expect(tables).toContain('customers');
    const written = writersByTable(files, tables);
    expect(written.get('audit_log')).toEqual(['events/audit-log.ts']);
  });

  it('has every table written by one module only', () => {
    expect(sharedTables(files)).toEqual({});
  });

  it('would see a second writer, through Kysely or raw sql (the check checks something)', () => {
    const tables = schemaTables();
    expect([...tablesWritten("await trx.updateTable('audit_head').set({ seq: 1 })", tables)]).toEqual(['audit_head']);
    expect([...tablesWritten('await sql`delete from "signing_keys" where id = ${id}`.execute(db)', tables)]).toEqual(['signing_keys']);
    expect([...tablesWritten('await sql`INSERT INTO brands (key) values (1)`.execute(db)', tables)]).toEqual(['brands']);
    expect([...tablesWritten('await db.selectFrom(\'brands\').selectAll().execute(); // update brands later', tables)]).toEqual([]);
    const planted = new Map(files);
    planted.set('customers/planted.ts', 'export const x = (db) => db.deleteFrom(\'audit_log\').execute();\n');
    expect(sharedTables(planted)).toMatchObject({ audit_log: ['customers/planted.ts', 'events/audit-log.ts'] });
    const raw = new Map(files);
    raw.set('guests/planted.ts', 'export const y = (db) => sql`update brands set name = ${"x"}`.execute(db);\n');
    expect(sharedTables(raw)).toMatchObject({ brands: ['brands/brands.ts', 'guests/planted.ts'] });
  });
});
