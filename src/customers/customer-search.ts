import { DomainError } from '../errors/domain-error.ts';
import { foldedWords, PAIR_LETTERS, pairPrefix, wordPrefix } from '../i18n/name-folding.ts';
import type { NamePosition, NameQuery } from './customer-name-index.ts';
import type { CustomerRecord, CustomerStore } from './customer-store.ts';
import { DEFAULT_POOL } from './customers.ts';

/** A page of a search, and where the next one starts when there is more. */
export interface CustomerPage {
  customers: CustomerRecord[];
  /** Null when this page is the last. */
  next: string | null;
}

export const NAME_SEARCH_LIMIT = { default: 20, max: 100 };
/** The least a name search takes: two letters of one name (one letter is an export of a twenty-sixth of the customers, a page at a time). */
const LEAST_LETTERS = 2;
const MOST_WORDS = 6;

const refused = (message: string) => new DomainError('validation_failed', 400, message);

/**
 * Customer service finding a person by the start of their names: `ann`, `ÖB`, `ann ander` (Anna
 * Andersson), `andersson anna`. Every word of the query must start a word of the customer's given or
 * family name, in any order, folded (case, accents and Nordic letters: i18n/name-folding.ts).
 * Pages come in a stable order (the matching key, then id), continued from `next`.
 */
export class CustomerSearch {
  readonly #store: CustomerStore;

  constructor(store: CustomerStore) {
    this.#store = store;
  }

  async byName(name: string, limit = NAME_SEARCH_LIMIT.default, after?: string, pool = DEFAULT_POOL): Promise<CustomerPage> {
    if (limit < 1 || limit > NAME_SEARCH_LIMIT.max) throw refused(`A name search gives at most ${NAME_SEARCH_LIMIT.max} customers a page`);
    const words = foldedWords(name);
    if (words.length > MOST_WORDS) throw refused(`A name search takes at most ${MOST_WORDS} words`);
    const query = indexQuery(words, pool);
    const found = await this.#store.names.page(query, limit + 1, after === undefined ? undefined : decodePosition(after));
    const page = found.slice(0, limit);
    const records = new Map((await this.#store.findByIds(page.map((position) => position.customerId))).map((record) => [record.id, record]));
    // A customer deleted between the two reads is left out; the next page still starts after them.
    const customers = page.flatMap((position) => records.get(position.customerId) ?? []);
    return { customers, next: found.length > limit ? encodePosition(page.at(-1)!) : null };
  }
}

const letters = (word: string) => [...word].length;

/**
 * What the index reads for these words: of two or more, the pairs of the longest two (the customers
 * with both, `default/p/ann/ander`), of one, its words; either way a range of the index, with any
 * further word checked on the customers found there.
 */
function indexQuery(words: readonly string[], pool: string): NameQuery {
  const [first, second, ...rest] = [...words].sort((a, b) => letters(b) - letters(a));
  if (first === undefined || letters(first) < LEAST_LETTERS) throw refused(`A name search needs at least ${LEAST_LETTERS} letters of a name`);
  if (second !== undefined && letters(first) >= PAIR_LETTERS) {
    const unchecked = letters(first) > PAIR_LETTERS ? [first, ...rest] : rest;
    return { scan: pairPrefix(pool, first, second), checks: unchecked.map((word) => wordPrefix(pool, word)) };
  }
  return { scan: wordPrefix(pool, first), checks: [second, ...rest].filter((word) => word !== undefined).map((word) => wordPrefix(pool, word)) };
}

/** Opaque to callers: where the page ended, base64url JSON. */
function encodePosition(position: NamePosition): string {
  return Buffer.from(JSON.stringify([position.key, position.customerId])).toString('base64url');
}

function decodePosition(cursor: string): NamePosition {
  const invalid = () => refused('after must be the next value of an earlier page of the same search');
  if (!/^[A-Za-z0-9_-]{1,1200}$/.test(cursor)) throw invalid();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw invalid();
  const [key, customerId] = decoded as unknown[];
  if (typeof key !== 'string' || typeof customerId !== 'string' || key.length === 0 || key.length > 400 || !key.isWellFormed() || key.includes('\0') || customerId.length > 64 || customerId.includes('\0')) throw invalid();
  return { key, customerId };
}
