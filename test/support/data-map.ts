import type { RunningPortvakt } from './portvakt-server.ts';

/**
 * Puts systems on the data map as manual systems (an operator follows a checklist), so customers
 * can have references in them: references point only into mapped systems (409 unknown_system).
 */
export async function mapSystems(server: Pick<RunningPortvakt, 'api'>, ...keys: string[]): Promise<void> {
  for (const key of keys) {
    const added = await server.api('POST', '/systems', { key, name: key.toUpperCase(), categories: ['contact'], legal_basis: 'contract', access: 'manual', checklist: [`Delete the customer in ${key}`] });
    if (added.status !== 201 && !(added.status === 409 && added.body?.error === 'system_exists')) throw new Error(`mapping ${key} answered ${added.status}: ${JSON.stringify(added.body)}`);
  }
}
