import { SignInError } from '../../credentials/sign-in-error.ts';
import type { Customers } from '../../customers/customers.ts';
import type { AuditLog } from '../../events/audit-log.ts';
import type { ActionStep } from './after-sign-in.ts';

/**
 * Every way in passes here, so this is the one place a disabled account is stopped, whatever the
 * method (password, code, passkey, upstream identity, step-up).
 */
export function activeAccount(deps: { customers: Customers; audit: AuditLog }): ActionStep {
  return {
    name: 'active_account',
    async run({ customerId, amr }) {
      const customer = await deps.customers.findById(customerId);
      if (customer?.status === 'active') return;
      await deps.audit.record({ action: 'sign_in.failed', actor: { type: 'customer', id: null }, subject: { type: 'customer', id: customerId }, details: { method: amr[0] ?? null, reason: 'disabled' } });
      throw new SignInError('disabled', 403, 'This account is disabled');
    },
  };
}
