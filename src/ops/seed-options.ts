import { parseArgs } from 'node:util';
import { purposeKey } from '../consent/consent.schemas.ts';
import type { SeedOptions } from './seed.ts';

const DECISIONS = new Set(['granted', 'declined', 'withdrawn']);

function count(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < min) throw new Error(`--${name} must be a whole number ≥ ${min}`);
  return parsed;
}

/** `portvakt seed` arguments; anything unknown or malformed is an error naming it. */
export function seedOptions(args: string[]): SeedOptions {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      customers: { type: 'string' },
      start: { type: 'string' },
      password: { type: 'string' },
      consent: { type: 'string' },
      batch: { type: 'string' },
    },
  });
  if (values.customers === undefined) throw new Error('--customers is required');
  let consent: SeedOptions['consent'];
  if (values.consent !== undefined) {
    const [purpose = '', decision = 'granted'] = values.consent.split('=');
    if (!purposeKey.safeParse(purpose).success) throw new Error('--consent needs a purpose key');
    if (!DECISIONS.has(decision)) throw new Error('--consent decision must be granted, declined or withdrawn');
    consent = { purpose, decision: decision as NonNullable<SeedOptions['consent']>['decision'] };
  }
  return {
    customers: count('customers', values.customers, 0, 1),
    start: count('start', values.start, 0, 0),
    batch: count('batch', values.batch, 5000, 1),
    password: values.password ?? 'seeded passphrase 2026',
    pool: 'default',
    ...(consent ? { consent } : {}),
  };
}
