import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.ts';
import { startPortvakt, type RunningPortvakt } from '../support/portvakt-server.ts';

const RETENTION = { rule: 'bookkeeping', description: 'Bokföringslagen 7 kap. 2 §', years: 7 };
const system = (key: string, fiscal_year_end: string) => ({ key, name: key, categories: ['contact'], legal_basis: 'legal_obligation', access: 'manual', checklist: ['Delete'], retention: { ...RETENTION, fiscal_year_end } });

/** A date-shaped input names a day that exists: "02-31" was taken and became 3 March. */
describe.each(DIALECTS)('dates checked as dates on %s', (dialect) => {
  let server: RunningPortvakt;
  beforeAll(async () => {
    server = await startPortvakt(dialect);
  });
  afterAll(async () => server?.stop());

  it('refuses a fiscal year end (MM-DD) that is no day of the year, on create and change, and takes 29 February', async () => {
    for (const bad of ['02-30', '02-31', '04-31', '06-31', '09-31', '11-31', '13-01', '00-10', '12-00', '12-32', '2-28', '02-28 ']) {
      const answer = await server.api('POST', '/systems', system('ledger', bad));
      expect(answer.status, bad).toBe(400);
      expect(answer.body.error, bad).toBe('validation_failed');
    }
    for (const good of ['02-29', '12-31', '04-30', '01-31']) {
      const created = await server.api('POST', '/systems', system(`ledger_${good.replace('-', '')}`, good));
      expect(created.status, good).toBe(201);
      expect(created.body.retention.fiscal_year_end).toBe(good);
    }
    const patched = await server.api('PATCH', '/systems/ledger_1231', { retention: { ...RETENTION, fiscal_year_end: '04-31' } });
    expect(patched.status).toBe(400);
    expect((await server.api('GET', '/systems/ledger_1231')).body.retention.fiscal_year_end).toBe('12-31');
  });

  it('refuses a birthdate (YYYY-MM-DD) that is no day, 29 February only in leap years', async () => {
    const customer = (await server.api('POST', '/customers', { email: 'born@example.se' })).body;
    for (const bad of ['2023-02-29', '1900-02-29', '2001-02-30', '2001-04-31', '2001-13-01', '2001-00-01', '2001-1-01']) {
      const answer = await server.api('PATCH', `/customers/${customer.id}/attributes`, { birthdate: bad });
      expect(answer.status, bad).toBe(400);
      expect(answer.body.error, bad).toBe('validation_failed');
    }
    for (const good of ['2024-02-29', '2000-02-29', '1999-12-31']) {
      const answer = await server.api('PATCH', `/customers/${customer.id}/attributes`, { birthdate: good });
      expect(answer.status, good).toBe(200);
      expect(answer.body.attributes.birthdate).toBe(good);
    }
  });
});
