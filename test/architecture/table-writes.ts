import { readFileSync } from 'node:fs';
import { SRC } from './source-files.ts';

/** The tables of `export interface Database { … }` in `src/store/schema.ts`, read from its text so the list cannot drift. */
export function schemaTables(schemaText = readFileSync(`${SRC}store/schema.ts`, 'utf8')): string[] {
  const body = /export interface Database \{([^}]*)\}/.exec(schemaText)?.[1];
  if (!body) throw new Error('no `export interface Database { … }` in src/store/schema.ts');
  return [...body.matchAll(/^\s*([a-z_][a-z0-9_]*)\s*:/gm)].map((match) => match[1]!);
}

const BUILDER = /\b(?:insertInto|updateTable|deleteFrom)\(\s*['"`]([a-z_][a-z0-9_]*)/g;
const RAW_SQL = /\bsql`([^`]*)`/g;
const RAW_WRITE = /\b(?:insert\s+into|update|delete\s+from)\s+"?([a-z_][a-z0-9_]*)"?/gi;

/** The tables a module writes: Kysely's insertInto/updateTable/deleteFrom, and INSERT/UPDATE/DELETE in raw `sql` templates. */
export function tablesWritten(text: string, tables: readonly string[]): Set<string> {
  const written = new Set<string>();
  for (const match of text.matchAll(BUILDER)) written.add(match[1]!);
  for (const template of text.matchAll(RAW_SQL)) {
    for (const match of template[1]!.matchAll(RAW_WRITE)) {
      const table = match[1]!.toLowerCase();
      if (tables.includes(table)) written.add(table);
    }
  }
  return written;
}

/** Each table and the modules (paths relative to `src/`) that write it; migrations are left out. */
export function writersByTable(files: Map<string, string>, tables: readonly string[]): Map<string, string[]> {
  const writers = new Map<string, string[]>();
  for (const [path, text] of files) {
    if (path.startsWith('store/migrations/')) continue;
    for (const table of tablesWritten(text, tables)) writers.set(table, [...(writers.get(table) ?? []), path].sort());
  }
  return writers;
}
