import { describe, expect, it } from 'vitest';
import { addMonths, retentionEnds } from './retention.ts';

const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);

describe('retention and due dates', () => {
  it('keeps bookkeeping records 7 years after the fiscal year of the request ends', () => {
    expect(new Date(retentionEnds({ years: 7, fiscal_year_end: '12-31' }, day('2026-11-27'))).toISOString().slice(0, 10)).toBe('2034-01-01');
    expect(new Date(retentionEnds({ years: 7, fiscal_year_end: '12-31' }, day('2026-12-31'))).toISOString().slice(0, 10)).toBe('2034-01-01');
    // A broken fiscal year ending 30 April: a request in May belongs to the year ending next April.
    expect(new Date(retentionEnds({ years: 7, fiscal_year_end: '04-30' }, day('2026-05-02'))).toISOString().slice(0, 10)).toBe('2034-05-01');
    expect(new Date(retentionEnds({ years: 7, fiscal_year_end: '04-30' }, day('2026-04-30'))).toISOString().slice(0, 10)).toBe('2033-05-01');
  });

  it('takes a fiscal year ending 29 February as ending on the last day of February in every year', () => {
    expect(new Date(retentionEnds({ years: 7, fiscal_year_end: '02-29' }, day('2026-11-27'))).toISOString().slice(0, 10)).toBe('2034-03-01');
    expect(new Date(retentionEnds({ years: 7, fiscal_year_end: '02-29' }, day('2027-02-28'))).toISOString().slice(0, 10)).toBe('2034-03-01');
    expect(new Date(retentionEnds({ years: 4, fiscal_year_end: '02-29' }, day('2027-03-01'))).toISOString().slice(0, 10)).toBe('2032-03-01');
    expect(new Date(retentionEnds({ years: 8, fiscal_year_end: '02-29' }, day('2027-03-01'))).toISOString().slice(0, 10)).toBe('2036-03-01');
  });

  it('gives one month from receipt, the last day of a shorter month when the day does not exist', () => {
    expect(new Date(addMonths(Date.parse('2026-11-27T08:00:00Z'), 1)).toISOString()).toBe('2026-12-27T08:00:00.000Z');
    expect(new Date(addMonths(Date.parse('2027-01-31T08:00:00Z'), 1)).toISOString()).toBe('2027-02-28T08:00:00.000Z');
    expect(new Date(addMonths(Date.parse('2026-12-15T00:00:00Z'), 3)).toISOString()).toBe('2027-03-15T00:00:00.000Z');
  });
});
