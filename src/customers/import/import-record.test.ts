import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { schemaProblems } from '../../../test/support/json-schema-check.ts';
import { importRecordJsonSchema, importRecordSchema, recordFromCsv } from './import-record.ts';
import { parse } from 'csv-parse/sync';

const PUBLISHED = new URL('../../../docs/import-record.schema.json', import.meta.url);

describe('the import record', () => {
  it('is published as docs/import-record.schema.json, as the schema says (regenerate: node scripts/import-record-schema.ts)', () => {
    expect(JSON.parse(readFileSync(PUBLISHED, 'utf8'))).toEqual(importRecordJsonSchema());
  });

  it('takes the README example and a WooCommerce CSV row, and the published schema agrees', () => {
    const example = {
      source_id: '1042',
      email: 'anna@example.se',
      email_verified: true,
      given_name: 'Anna',
      phone_number: '+46701234567',
      password_hash: '$P$BXo1NMYpv0gFmN6pBB7HPXvTl5vyqG/',
      consents: [{ purpose: 'newsletter', decision: 'granted', version: 1, captured_at: '2021-03-01T10:00:00Z' }],
      references: { loyalty: 'L-778812' },
    };
    expect(importRecordSchema.safeParse(example).success).toBe(true);
    expect(schemaProblems(importRecordJsonSchema(), example)).toEqual([]);
    const [header, cells] = parse('source_id,email,given_name,family_name,password_hash,references.loyalty,attributes.shoe_size\n1042,anna@example.se,Anna,"Berg, Jr",$P$BXo1NMYpv0gFmN6pBB7HPXvTl5vyqG/,L-1,42\n') as string[][];
    const row = recordFromCsv(header!, cells!);
    expect(row).toEqual({ source_id: '1042', email: 'anna@example.se', given_name: 'Anna', family_name: 'Berg, Jr', password_hash: '$P$BXo1NMYpv0gFmN6pBB7HPXvTl5vyqG/', references: { loyalty: 'L-1' }, attributes: { shoe_size: 42 } });
    expect(schemaProblems(importRecordJsonSchema(), { email: 'a@example.se', unknown: 1 })).not.toEqual([]);
  });
});
