// Writes docs/import-record.schema.json from the record's schema (src/customers/import/import-record.ts).
import { writeFileSync } from 'node:fs';
import { importRecordJsonSchema } from '../src/customers/import/import-record.ts';

writeFileSync(new URL('../docs/import-record.schema.json', import.meta.url), `${JSON.stringify(importRecordJsonSchema(), null, 2)}\n`);
