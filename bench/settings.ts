/**
 * A benchmark setting from the environment: a whole number of at least `min`, or `fallback` when
 * unset. Anything else stops the benchmark with the setting's name, rather than a NaN that skips a
 * loop or ends up as null in a report.
 */
export function wholeSetting(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number of at least ${min}, not ${JSON.stringify(raw)}`);
  return value;
}

/** A comma-separated list of whole numbers of at least 1 (duplicates dropped, at least one). */
export function wholeListSetting(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (values.some((value) => !Number.isInteger(value) || value < 1)) throw new Error(`${name} must list whole numbers of at least 1, not ${JSON.stringify(raw)}`);
  return [...new Set(values)];
}
