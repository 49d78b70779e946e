import { sql, type Kysely, type Transaction } from 'kysely';
import { ConsentLedger } from '../consent/consent-ledger.ts';
import type { ConsentPurposes, PurposeVersion } from '../consent/consent-purposes.ts';
import { CredentialStore } from '../credentials/credential-store.ts';
import { hashPassword } from '../credentials/password-hasher.ts';
import { CustomerStore } from '../customers/customer-store.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { AuditLog } from '../events/audit-log.ts';
import type { Dialect } from '../store/database.ts';
import type { ConsentRecordsTable, Database } from '../store/schema.ts';

export interface SeedOptions {
  customers: number;
  /** First number in the generated addresses (`seed{n}@seed.example`), so runs can add more. */
  start: number;
  password: string;
  pool: string;
  /** A decision recorded for every seeded customer (current version of the purpose), if given. */
  consent?: { purpose: string; decision: ConsentRecordsTable['decision'] };
  /** Customers per transaction. */
  batch: number;
}

export interface SeedReport {
  customers: number;
  consent_records: number;
  seconds: number;
  customers_per_s: number;
}

/** Rows per INSERT: below SQLite's 32,766 and PostgreSQL's 65,535 bound parameters for every table here. */
const ROWS_PER_INSERT = 1000;

export const seedEmail = (n: number) => `seed${n}@seed.example`;

/**
 * `portvakt seed`: bulk test customers for load tests and benchmarks, never for production. One
 * password hash is computed and reused (hashing a million passwords would take hours and measure
 * nothing), rows go in with multi-row INSERTs, one transaction per batch. Seeded customers are
 * real customers to every other part of Portvakt: they sign in, show up in audiences, can be
 * erased. The run itself is one audit entry; seeded decisions publish no webhooks (a million
 * events would flood every subscriber with test data).
 */
export async function seedCustomers(deps: { db: Kysely<Database>; dialect: Dialect; purposes: ConsentPurposes; audit: AuditLog }, options: SeedOptions, log: (line: string) => void = () => {}): Promise<SeedReport> {
  const began = performance.now();
  const passwordHash = await hashPassword(options.password);
  const purpose = options.consent ? await deps.purposes.current(options.consent.purpose).catch(() => undefined) : undefined;
  if (options.consent && !purpose) throw new DomainError('unknown_purpose', 400, `There is no consent purpose ${options.consent.purpose}`);
  if (purpose?.required && options.consent?.decision !== 'granted') throw new DomainError('purpose_required', 400, `${purpose.key} is required and can only be granted`);

  let done = 0;
  while (done < options.customers) {
    const count = Math.min(options.batch, options.customers - done);
    const batch = { ids: Array.from({ length: count }, () => crypto.randomUUID()), firstNumber: options.start + done, now: Date.now() };
    await deps.db.transaction().execute(async (trx) => {
      await insertCustomers(trx, batch, options.pool, passwordHash);
      if (purpose && options.consent) await insertDecisions(trx, batch, purpose, options.consent.decision);
    });
    done += count;
    if (done % (options.batch * 20) === 0 || done === options.customers) log(`seeded ${done}/${options.customers}`);
  }

  await deps.db.transaction().execute((trx) =>
    deps.audit.append(trx, {
      action: 'customers.seeded',
      actor: { type: 'operator', id: 'cli' },
      subject: { type: 'pool', id: options.pool },
      details: { customers: options.customers, first: seedEmail(options.start), purpose: options.consent?.purpose ?? null, decision: options.consent?.decision ?? null },
    }),
  );
  // Fresh planner statistics for both engines: without them PostgreSQL takes a million new rows
  // for a handful and plans a cursor page as "read everything after the cursor, then sort".
  // PostgreSQL also vacuums now (setting the visibility map) rather than leaving it to autovacuum,
  // which would otherwise do it over the new rows while the first load test runs (measured: the
  // sign-in p50 at a million customers 22 % slower while it did).
  await (deps.dialect === 'postgres' ? sql`vacuum (analyze) customers, customer_emails, credentials, consent_records` : sql`analyze`).execute(deps.db);
  if (deps.dialect === 'postgres') await checkpointIfAllowed(deps.db, log);
  const seconds = (performance.now() - began) / 1000;
  return { customers: options.customers, consent_records: purpose ? options.customers : 0, seconds: Math.round(seconds * 10) / 10, customers_per_s: Math.round(options.customers / seconds) };
}

interface Batch {
  ids: string[];
  /** The number of the first customer's address (`seed{n}@seed.example`). */
  firstNumber: number;
  now: number;
}

/** A batch of active customers with verified addresses and the one shared password hash, in multi-row INSERTs. */
async function insertCustomers(trx: Transaction<Database>, { ids, firstNumber, now }: Batch, pool: string, passwordHash: string): Promise<void> {
  for (let offset = 0; offset < ids.length; offset += ROWS_PER_INSERT) {
    const slice = ids.slice(offset, offset + ROWS_PER_INSERT);
    await CustomerStore.insertSeeded(trx, slice.map((id, i) => ({ id, email: seedEmail(firstNumber + offset + i) })), pool, now);
    await CredentialStore.insertPasswords(trx, slice.map((customerId) => ({ customerId, passwordHash, now })));
  }
}

/** One consent decision per customer of the batch, numbered in the ledger's sequence like every other decision. */
function insertDecisions(trx: Transaction<Database>, { ids, now }: Batch, purpose: PurposeVersion, decision: ConsentRecordsTable['decision']): Promise<void> {
  return ConsentLedger.appendSeeded(trx, ids, purpose, decision, now, ROWS_PER_INSERT);
}

/**
 * Writes the load's dirty pages out now, when this role may (a superuser or pg_checkpoint member),
 * instead of leaving it to checkpoints triggered by the load's WAL while the first load test runs
 * (measured straight after seeding, lookup by e-mail at a million customers against a thousand:
 * p50 1.23 and 1.27x without it, 1.09 and 1.07x with it). Best effort: the customers are committed
 * by now, so a refusal (42501), a statement timeout or a lost connection is said and not fatal.
 */
async function checkpointIfAllowed(db: Kysely<Database>, log: (line: string) => void): Promise<void> {
  try {
    await sql`checkpoint`.execute(db);
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    log(`checkpoint skipped (${code ?? 'error'}: ${message ?? String(error)}); the next checkpoint writes the new rows`);
  }
}
