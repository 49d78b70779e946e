import { sql, type Kysely, type Transaction } from 'kysely';
import { CustomerNameIndex } from '../src/customers/customer-name-index.ts';
import { foldedWords } from '../src/i18n/name-folding.ts';
import type { Dialect } from '../src/store/database.ts';
import type { Database } from '../src/store/schema.ts';

/**
 * Customers for bench/customer-search.ts, straight into the tables through Kysely in big
 * transactions (a benchmark's seeding, not Portvakt's write path): each with a Swedish-looking
 * name, an e-mail address, a phone number and a CRM reference, all derived from the customer's
 * number, so the benchmark can ask for any of them without reading the database.
 */

const GIVEN = [
  'Anna', 'Anders', 'Annika', 'Agnes', 'Alva', 'Åsa', 'Åke', 'Örjan', 'Ängla', 'Elsa', 'Erik', 'Emma', 'Elin', 'Eva', 'Karl', 'Karin',
  'Kerstin', 'Lars', 'Lena', 'Linnea', 'Lisa', 'Maria', 'Magnus', 'Maja', 'Mats', 'Nils', 'Nora', 'Olof', 'Oskar', 'Per', 'Petra', 'Sara',
  'Sofia', 'Stina', 'Sven', 'Tove', 'Ulla', 'Ulf', 'Viktor', 'Wilma', 'Ebba', 'Greta', 'Hugo', 'Ida', 'Ingrid', 'Johan', 'Jonas', 'Klara',
  'Leo', 'Liam', 'Märta', 'Björn', 'Göran', 'Gunilla', 'Hedvig', 'Lovisa', 'Malin', 'Tomas', 'Yvonne', 'Zoran', 'Anna-Karin', 'Karl Johan',
];
const PATRONYMIC = [
  'Andersson', 'Johansson', 'Karlsson', 'Nilsson', 'Eriksson', 'Larsson', 'Olsson', 'Persson', 'Svensson', 'Gustafsson',
  'Pettersson', 'Jonsson', 'Jansson', 'Hansson', 'Bengtsson', 'Jönsson', 'Jakobsson', 'Magnusson', 'Olofsson', 'Axelsson',
];
const ROOT = ['Berg', 'Lind', 'Holm', 'Sjö', 'Ek', 'Dahl', 'Ström', 'Lund', 'Ny', 'Sand', 'Hag', 'Sten', 'Fors', 'Bäck', 'Ros', 'Björk', 'Gran', 'Löv', 'Ås', 'Öst', 'Väst', 'Norr', 'Söder', 'Hed', 'Mal', 'Wall', 'Al', 'Ljung', 'Blom', 'Falk'];
const SUFFIX = ['berg', 'gren', 'qvist', 'ström', 'lund', 'man', 'holm', 'dahl', 'sten', 'blad', 'ling', 'ander', 'én', 'stedt', 'vall'];

/** A well-mixed 32-bit hash of a number and a salt (the same customer always gets the same name). */
function mix(n: number, salt: number): number {
  let h = Math.imul(n ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

export interface SeededCustomer {
  email: string;
  phone: string;
  reference: string;
  givenName: string;
  familyName: string;
}

export function seededCustomer(n: number): SeededCustomer {
  const givenName = GIVEN[mix(n, 1) % GIVEN.length]!;
  const familyName = mix(n, 2) % 10 < 4 ? PATRONYMIC[mix(n, 3) % PATRONYMIC.length]! : ROOT[mix(n, 4) % ROOT.length]! + SUFFIX[mix(n, 5) % SUFFIX.length]!;
  return { email: `search${n}@bench.example`, phone: `+4670${String(n).padStart(7, '0')}`, reference: `K${n}`, givenName, familyName };
}

/** What customer service would type for customer `n`: the first letters of the family name (two, the least the search takes), or of both names. */
export function namePrefixes(n: number): { family: string; both: string } {
  const customer = seededCustomer(n);
  const family = foldedWords(customer.familyName)[0]!;
  const given = foldedWords(customer.givenName)[0]!;
  return { family: family.slice(0, 2), both: `${given.slice(0, 3)} ${family.slice(0, 3)}` };
}

const CUSTOMERS_PER_TRANSACTION = 20_000;
/** Rows per INSERT: nine parameters a customer row, below SQLite's 32,766 bound parameters. */
const ROWS_PER_INSERT = 2000;

async function insertSlice(trx: Transaction<Database>, numbers: number[], now: number): Promise<void> {
  const rows = numbers.map((n) => ({ id: crypto.randomUUID(), ...seededCustomer(n) }));
  await trx
    .insertInto('customers')
    .values(rows.map((row) => ({ id: row.id, pool: 'default', status: 'active' as const, given_name: row.givenName, family_name: row.familyName, locale: 'sv', version: 1, created_at: now, updated_at: now })))
    .execute();
  await trx.insertInto('customer_emails').values(rows.map((row) => ({ customer_id: row.id, pool: 'default', email: row.email, verified_at: now, created_at: now }))).execute();
  await trx.insertInto('customer_phones').values(rows.map((row) => ({ customer_id: row.id, pool: 'default', phone: row.phone, verified_at: null, created_at: now }))).execute();
  await trx.insertInto('customer_references').values(rows.map((row) => ({ customer_id: row.id, system: 'crm', reference: row.reference, created_at: now }))).execute();
  await CustomerNameIndex.insertSeeded(trx, rows.map((row) => ({ id: row.id, pool: 'default', givenName: row.givenName, familyName: row.familyName })));
}

/**
 * Customers numbered `from` to `to` (exclusive), one transaction per 20,000. Stops early, at a
 * whole transaction, once `deadline` (performance.now()) has passed; answers how far it got.
 * Durability is given up while seeding (a benchmark's database; SQLite's connection is the
 * seeder's own and closed after), and SQLite gets a cache the indexes fit in: random keys.
 */
export async function seedSearchCustomers(db: Kysely<Database>, dialect: Dialect, from: number, to: number, deadline = Number.POSITIVE_INFINITY, log: (line: string) => void = () => {}): Promise<number> {
  if (dialect === 'sqlite') {
    await sql`pragma synchronous = off`.execute(db);
    await sql`pragma cache_size = -2000000`.execute(db);
  }
  let done = from;
  while (done < to && performance.now() < deadline) {
    const end = Math.min(to, done + CUSTOMERS_PER_TRANSACTION);
    const now = Date.now();
    await db.transaction().execute(async (trx) => {
      if (dialect === 'postgres') await sql`set local synchronous_commit = off`.execute(trx);
      for (let start = done; start < end; start += ROWS_PER_INSERT) {
        await insertSlice(trx, Array.from({ length: Math.min(ROWS_PER_INSERT, end - start) }, (_, i) => start + i), now);
      }
    });
    done = end;
    if (done % 100_000 === 0) log(`seeded ${done}`);
  }
  return done;
}

/** Fresh planner statistics (and on PostgreSQL the visibility map and a checkpoint), as `portvakt seed` leaves them. */
export async function settle(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') {
    await sql`analyze`.execute(db);
    return;
  }
  await sql`vacuum (analyze) customers, customer_emails, customer_phones, customer_references, customer_name_keys`.execute(db);
  await sql`checkpoint`.execute(db).catch(() => undefined);
}
