import type { Kysely } from 'kysely';
import type { AuditLog } from '../events/audit-log.ts';
import type { EventPublisher } from '../events/event-publisher.ts';
import type { ChangeNotices } from '../store/change-notices.ts';
import type { Database } from '../store/schema.ts';
import { CustomerAttributes } from './customer-attributes.ts';
import { ProfileSchema } from './profile-schema.ts';
import { ProgressiveProfiling, requestedClaims } from './progressive-profiling.ts';

export type Profile = ReturnType<typeof buildProfile>;

/** The profile beyond the core fields: its schema, each customer's values, and asking for them when a client needs them. */
export function buildProfile(deps: { db: Kysely<Database>; audit: AuditLog; events: EventPublisher; changes: ChangeNotices }) {
  const schema = new ProfileSchema(deps.db, deps.audit, deps.changes);
  const attributes = new CustomerAttributes({ db: deps.db, schema, audit: deps.audit, events: deps.events });
  schema.removeValuesWith((trx, key) => attributes.removeKey(trx, key));
  const profiling = new ProgressiveProfiling(schema, attributes);
  return {
    schema,
    attributes,
    /** The attributes to ask before a sign-in with these authorization parameters completes: their keys. */
    dueKeys: async (customerId: string, params: Record<string, unknown>) => (await profiling.due(customerId, requestedClaims(params))).map((attribute) => attribute.key),
  };
}
