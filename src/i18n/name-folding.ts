/**
 * Names folded for search: what customer service types finds the name however it is written.
 * Case goes (ÖBERG, öberg), and so do accents and the Nordic letters (Öberg, Oberg; Åsa, Asa;
 * Ærø, Aero; Müller, Muller): an agent on a keyboard without å, or a name that came through a
 * system that dropped its accents, still finds the person. The price is a few more matches (ås
 * also finds Asplund), which a prefix search shows in the list anyway.
 *
 * A name is cut into words at anything that is neither letter nor digit (Anna-Karin, von Sydow,
 * Karl Johan), apostrophes dropped inside a word (O'Brien is obrien). The same folding is used for
 * what is stored and for what is searched, so the two always agree; a change to it needs a
 * migration that folds the stored words again.
 */

/** Letters that Unicode does not decompose into a base letter and a mark. */
const UNDECOMPOSED: Readonly<Record<string, string>> = { ø: 'o', æ: 'ae', œ: 'oe', ß: 'ss', ð: 'd', þ: 'th', ł: 'l', đ: 'd', ħ: 'h', ı: 'i', ŧ: 't' };
const UNDECOMPOSED_LETTERS = /[øæœßðþłđħıŧ]/g;
const MARKS = /\p{M}/gu;
const APOSTROPHES = /['’ʼ`´]/g;
const SEPARATORS = /[^\p{L}\p{N}]+/u;

/** Lower case, without accents or marks: `Öberg` and `ÖB` fold to `oberg` and `ob`. */
export function foldName(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(MARKS, '')
    .replace(UNDECOMPOSED_LETTERS, (letter) => UNDECOMPOSED[letter]!);
}

/** The folded words of a text, in order, each once. */
export function foldedWords(text: string): string[] {
  const words = foldName(text).replace(APOSTROPHES, '').split(SEPARATORS).filter((word) => word.length > 0);
  return [...new Set(words)];
}

/** The words a customer is found by: those of the given and the family name together, each once. */
export function nameWords(givenName: string | null, familyName: string | null): string[] {
  return [...new Set([...foldedWords(givenName ?? ''), ...foldedWords(familyName ?? '')])];
}

/**
 * The half-open range [low, high) of every string that starts with `prefix`, in code point order
 * (SQLite's BINARY and PostgreSQL's "C" collation): an index range scan, no LIKE.
 */
export function prefixRange(prefix: string): { low: string; high: string } {
  const points = [...prefix];
  const last = points.pop()!.codePointAt(0)!;
  // Past the surrogate block: no string holds a code point between U+D800 and U+DFFF.
  const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
  return { low: prefix, high: points.join('') + String.fromCodePoint(next) };
}

const POOL = /^[a-z0-9_-]+$/;
/** Letters of the first word a pair key keeps: `ann` of anna. */
export const PAIR_LETTERS = 3;
/** Words of a name that make pairs (of a longer name, the first ones): at most 5 × 4 pair keys. */
const PAIRED_WORDS = 5;

function poolPart(pool: string): string {
  if (!POOL.test(pool)) throw new Error(`pool ${JSON.stringify(pool)} is not a plain name`);
  return pool;
}

/**
 * The stored keys of a customer's names, one per row of `customer_name_keys`, all of one pool:
 * - each word: `default/w/anna`, `default/w/andersson`, for a search by one word;
 * - each ordered pair of two of the words, the first cut to three letters:
 *   `default/p/ann/andersson`, `default/p/and/anna`, for a search by two, which then reads only the
 *   customers who have both (`ann ander` is the range of `default/p/ann/ander`), not every Anna.
 * A word has no `/` (it is cut at one) and a pool is a plain name, so the keys that start with a
 * prefix made by `wordPrefix` or `pairPrefix` are exactly the words or pairs it means.
 */
export function nameKeys(pool: string, givenName: string | null, familyName: string | null): string[] {
  const words = nameWords(givenName, familyName);
  const paired = words.slice(0, PAIRED_WORDS);
  const pairs = paired.flatMap((first) => paired.filter((second) => second !== first).map((second) => pairPrefix(pool, first, second)));
  return [...new Set([...words.map((word) => wordPrefix(pool, word)), ...pairs])];
}

/** The keys of the words that start with `prefix`: `default/w/ann`. */
export function wordPrefix(pool: string, prefix: string): string {
  return `${poolPart(pool)}/w/${prefix}`;
}

/** The keys of the pairs whose first word starts with `first` (three letters of it, `[...first].length >= PAIR_LETTERS`) and whose second starts with `second`. */
export function pairPrefix(pool: string, first: string, second: string): string {
  return `${poolPart(pool)}/p/${[...first].slice(0, PAIR_LETTERS).join('')}/${second}`;
}
