import { AsyncLocalStorage } from 'node:async_hooks';
import type { Operator } from './operator-roles.ts';

const context = new AsyncLocalStorage<Operator>();

/** Runs a management call as its operator: the audit log names them in every entry the call writes. */
export function actingAs<T>(operator: Operator, work: () => Promise<T>): Promise<T> {
  return context.run(operator, work);
}

/** The operator of the management call in progress, if any. */
export function currentOperator(): Operator | undefined {
  return context.getStore();
}
