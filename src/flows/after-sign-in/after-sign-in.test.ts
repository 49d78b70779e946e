import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/support/databases.ts';
import { openTestStore } from '../../../test/support/test-store.ts';
import { AuditLog } from '../../events/audit-log.ts';
import { InteractionFlowStore } from '../../oidc/interaction-flows.ts';
import { PURPOSES_ASKED } from '../../oidc/purpose-requests.ts';
import type { Store } from '../../store/database.ts';
import { CustomerStore } from '../../customers/customer-store.ts';
import { Customers } from '../../customers/customers.ts';
import { AfterSignIn, type SignedIn } from './after-sign-in.ts';
import { afterSignIn, type AfterSignInDeps } from './steps.ts';


describe.each(DIALECTS)('the steps after sign-in on %s', (dialect) => {
  let store: Store;
  let close: () => Promise<void>;
  let flows: InteractionFlowStore;
  let audit: AuditLog;
  let customerId: string;

  beforeAll(async () => {
    ({ store, close } = await openTestStore(dialect));
    flows = new InteractionFlowStore(store.db, 60_000);
    audit = new AuditLog(store.db);
    const customers = new Customers(new CustomerStore(store.db), 8, async () => {}, audit);
    customerId = (await customers.create({ email: 'steps@example.se', email_verified: true }, { type: 'operator', id: 'test' })).id;
  });
  afterAll(() => close());

  const signedIn = (over: Partial<SignedIn> = {}): SignedIn => ({ uid: 'uid-1', customerId, amr: ['pwd'], clientId: 'shop', brand: null, params: {}, ...over });

  it('lists the steps in the order they are owed', () => {
    // Only the names are read: no step runs, so the services they would call are not needed.
    const steps = afterSignIn({ flows, audit } as unknown as AfterSignInDeps);
    expect(steps.names).toEqual(['identity_link_proof', 'passkey_offer', 'active_account', 'second_factor', 'second_factor_enrolment', 'identity_link', 'guest_claim', 'consents_due', 'profile_due', 'brand_notice']);
  });

  it('records the first step owed and names its page; a later call goes on after the step named', async () => {
    const ran: string[] = [];
    const walk = new AfterSignIn(
      [
        { name: 'act', run: async () => void ran.push('act') },
        { name: 'ask', page: '/ask', due: async ({ customerId, amr }) => ({ state: 'second_factor', customerId, amr }) },
        { name: 'after', run: async () => void ran.push('after') },
      ],
      flows,
      audit,
    );
    expect(await walk.next(signedIn())).toEqual({ page: '/ask' });
    expect(ran).toEqual(['act']);
    expect(await flows.get('uid-1')).toEqual({ state: 'second_factor', customerId, amr: ['pwd'] });
    const done = await walk.next(signedIn({ amr: ['pwd', 'otp'], params: { prompt: 'login create' } }), 'ask');
    expect(ran).toEqual(['act', 'after']);
    expect(done).toEqual({ result: { login: { accountId: customerId, amr: ['pwd', 'otp', 'mfa'], acr: expect.any(String), remember: true }, create: true, [PURPOSES_ASKED]: true } });
    await expect(walk.next(signedIn(), 'nowhere')).rejects.toThrow('no after-sign-in step named nowhere');
  });

  it('refuses two steps of one name', () => {
    expect(() => new AfterSignIn([{ name: 'x', run: async () => {} }, { name: 'x', run: async () => {} }], flows, audit)).toThrow('named twice');
  });
});
