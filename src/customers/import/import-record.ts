import { z } from 'zod';
import { purposeKey } from '../../consent/consent.schemas.ts';
import { nameText, text } from '../../validation/text.ts';
import { emailSchema, localeSchema, phoneSchema } from '../customer.schemas.ts';

/**
 * One customer of `portvakt import`, a line of NDJSON or a row of CSV. Its JSON Schema is
 * published as `docs/import-record.schema.json` (written from this schema; a test keeps it so).
 */
const name = nameText().trim().min(1).max(100);
const time = z
  .union([z.number().int().nonnegative().describe('epoch milliseconds'), z.iso.datetime({ offset: true }).describe('ISO 8601 with offset')])
  .transform((value) => (typeof value === 'number' ? value : Date.parse(value)));
const b64 = text().regex(/^[A-Za-z0-9+/=_-]+$/, 'must be base64').max(1024);

const firebaseScrypt = z.strictObject({
  algorithm: z.literal('firebase-scrypt'),
  hash: b64,
  salt: b64,
  signer_key: b64.describe("the project's hash key (Firebase console: password hash parameters)"),
  salt_separator: b64,
  rounds: z.number().int().min(1).max(32),
  mem_cost: z.number().int().min(1).max(20),
});
const saltedDigest = z.strictObject({
  algorithm: z.enum(['sha256', 'sha1', 'md5']).describe('weak: imported only with --allow-weak-hashes'),
  hash: text().regex(/^[0-9a-fA-F]+$/, 'must be hex').max(128),
  salt: text().max(256),
  salt_position: z.enum(['before', 'after']).default('before').describe('salt + password (before) or password + salt (after)'),
});

export const importConsentSchema = z.strictObject({
  purpose: purposeKey,
  decision: z.enum(['granted', 'declined', 'withdrawn']),
  version: z.number().int().min(1).optional().describe("the purpose's text version the customer saw; or text_hash"),
  text_hash: text().max(200).optional().describe("the hash of the texts shown (as Portvakt's purpose versions carry it); or version"),
  captured_at: time.describe('when the customer decided, on the old platform'),
  record_id: text().min(1).max(200).optional().describe("the old platform's id of the decision (default: one made of the source key, purpose and time)"),
  proof: text().max(4000).optional().describe('a TCF string or a document hash'),
});

export const importRecordSchema = z.strictObject({
  source_id: text().trim().min(1).max(200).optional().describe("the customer's id on the old platform: the key a re-run finds them by (else the e-mail)"),
  email: emailSchema,
  email_verified: z.boolean().default(false),
  phone_number: phoneSchema.optional(),
  phone_number_verified: z.boolean().default(false),
  given_name: name.optional(),
  family_name: name.optional(),
  locale: localeSchema.optional(),
  password_hash: z.union([text().min(1).max(1024), firebaseScrypt, saltedDigest]).optional().describe('argon2, bcrypt, scrypt, PBKDF2 (PHC, Django, ASP.NET Identity v3), phpass, Magento 2 as strings; Firebase scrypt and salted digests as objects'),
  attributes: z.record(z.string(), z.unknown()).optional().describe('values of attributes of the profile schema'),
  references: z.record(z.string(), text().trim().min(1).max(200)).optional().describe("the customer's ids in systems on the data map: system key → id"),
  consents: z.array(importConsentSchema).max(100).optional(),
});
export type ImportRecord = z.output<typeof importRecordSchema>;
export type ImportConsent = z.output<typeof importConsentSchema>;

/** The published JSON Schema of a record. */
export function importRecordJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://portvakt.dev/schemas/import-record.schema.json',
    title: 'A customer of portvakt import (one NDJSON line, or one CSV row)',
    ...z.toJSONSchema(importRecordSchema, { io: 'input', unrepresentable: 'any' }),
  };
}

const BOOLEAN_TRUE = new Set(['true', '1', 'yes', 'y']);
const BOOLEAN_FALSE = new Set(['false', '0', 'no', 'n', '']);
const JSON_COLUMNS = new Set(['consents', 'attributes', 'references']);

/**
 * A CSV row as a record: columns named as the record's fields; `attributes.KEY` and
 * `references.SYSTEM` columns fill those maps; consents (and any map) as JSON in a cell; a
 * password hash cell starting with `{` is the object form. An empty cell is absent.
 */
export function recordFromCsv(header: readonly string[], cells: readonly string[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  header.forEach((column, index) => {
    const cell = cells[index] ?? '';
    if (cell === '') return;
    const [head, key] = column.split('.', 2) as [string, string | undefined];
    if (key !== undefined && (head === 'attributes' || head === 'references')) {
      const map = (record[head] ??= {}) as Record<string, unknown>;
      map[key] = head === 'attributes' ? cellValue(cell) : cell;
    } else if (column === 'email_verified' || column === 'phone_number_verified') {
      record[column] = BOOLEAN_TRUE.has(cell.toLowerCase()) ? true : BOOLEAN_FALSE.has(cell.toLowerCase()) ? false : cell;
    } else if (JSON_COLUMNS.has(column) || (column === 'password_hash' && cell.startsWith('{'))) {
      record[column] = JSON.parse(cell) as unknown;
    } else {
      record[column] = cell;
    }
  });
  return record;
}

/** An attribute cell: JSON when it reads as JSON (numbers, booleans, lists), else the text. */
function cellValue(cell: string): unknown {
  try {
    return JSON.parse(cell) as unknown;
  } catch {
    return cell;
  }
}
