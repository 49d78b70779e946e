import type { RetentionRule } from './data-system.schemas.ts';

/**
 * When a legal hold ends. Bookkeeping records must be kept for `years` after the end of the
 * fiscal year they belong to (Bokföringslagen 7 kap. 2 §). The latest record of a customer can be
 * from the fiscal year in which the request arrives, so the hold runs from that year's end: the
 * last day kept is fiscal-year end + `years`, and the final erasure is due the day after.
 */
export function retentionEnds(rule: Pick<RetentionRule, 'years' | 'fiscal_year_end'>, requestedAt: number): number {
  const at = new Date(requestedAt);
  const [month, day] = rule.fiscal_year_end.split('-').map(Number) as [number, number];
  // 02-29 is the last day of February: the 28th in a common year.
  const endIn = (year: number) => Date.UTC(year, month - 1, Math.min(day, daysIn(year, month)));
  let yearEnd = endIn(at.getUTCFullYear());
  if (yearEnd < Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate())) yearEnd = endIn(at.getUTCFullYear() + 1);
  const end = new Date(yearEnd);
  const last = endIn(end.getUTCFullYear() + rule.years);
  return last + 24 * 60 * 60 * 1000;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** GDPR Art. 12(3): one month from receipt; an extension adds up to two more. */
export function addMonths(at: number, months: number): number {
  const date = new Date(at);
  const target = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  return Date.UTC(target.getUTCFullYear(), target.getUTCMonth(), Math.min(date.getUTCDate(), lastDay), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), date.getUTCMilliseconds());
}
