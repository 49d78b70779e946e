import { parseArgs } from 'node:util';
import type { ImportOptions } from '../customers/import/customer-import.ts';

/** `portvakt import FILE …` arguments; anything unknown or malformed is an error naming it. */
export function importOptions(args: string[]): ImportOptions {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      platform: { type: 'string' },
      update: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      'allow-weak-hashes': { type: 'boolean' },
      'weak-hashes': { type: 'string' },
      'publish-events': { type: 'boolean' },
      batch: { type: 'string' },
      report: { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new Error('import takes one FILE');
  const file = positionals[0]!;
  const format = values.format ?? (/\.csv$/i.test(file) ? 'csv' : 'ndjson');
  if (format !== 'csv' && format !== 'ndjson') throw new Error('--format must be ndjson or csv');
  const weakHashes = values['weak-hashes'] ?? 'rehash';
  if (weakHashes !== 'rehash' && weakHashes !== 'reset') throw new Error('--weak-hashes must be rehash or reset');
  const platform = values.platform ?? 'import';
  if (!/^[a-z][a-z0-9_-]{1,63}$/.test(platform)) throw new Error('--platform must be a key such as woocommerce (lowercase letters, digits, - and _)');
  const batch = values.batch === undefined ? 5000 : Number(values.batch);
  if (!Number.isSafeInteger(batch) || batch < 1 || batch > 10_000) throw new Error('--batch must be a whole number from 1 to 10000');
  return {
    file,
    format,
    pool: 'default',
    platform,
    update: values.update ?? false,
    dryRun: values['dry-run'] ?? false,
    allowWeakHashes: values['allow-weak-hashes'] ?? false,
    weakHashes,
    publishEvents: values['publish-events'] ?? false,
    batch,
    ...(values.report ? { reportFile: values.report } : {}),
  };
}
