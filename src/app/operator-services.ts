import { OperatorAccounts } from '../operators/operator-accounts.ts';
import { OperatorAdministration } from '../operators/operator-administration.ts';
import { OperatorEnrolment } from '../operators/operator-enrolment.ts';
import { OperatorPasskeys } from '../operators/operator-passkeys.ts';
import { OperatorSessions } from '../operators/operator-sessions.ts';
import { OperatorSignIn } from '../operators/operator-sign-in.ts';
import { WorkforceSignIn } from '../operators/workforce-sign-in.ts';
import type { CredentialServices } from './credential-services.ts';
import type { CustomerDomain } from './customer-domain.ts';
import type { Infrastructure } from './infrastructure.ts';
import type { SelfService } from './self-service.ts';

/** The console's people: accounts and invitations, passkeys, sessions, sign-in, enrolment, administration. */
export interface OperatorServices {
  operators: {
    accounts: OperatorAccounts;
    passkeys: OperatorPasskeys;
    sessions: OperatorSessions;
    signIn: OperatorSignIn;
    enrolment: OperatorEnrolment;
    administration: OperatorAdministration;
    /** Sign-in through the company's workforce OpenID provider, when configured. */
    workforce: WorkforceSignIn | undefined;
  };
}

export function buildOperatorServices({ config, store, outbound }: Infrastructure, { audit }: CustomerDomain, { throttle, ceremonies }: CredentialServices, { messaging }: SelfService): OperatorServices {
  const { db } = store;
  const key = config.secrets.sealing('operator-credentials');
  const accounts = new OperatorAccounts({ db, audit });
  const passkeys = new OperatorPasskeys({ db, ceremonies });
  const sessions = new OperatorSessions({ db, idleMs: config.consoleIdleMs });
  const signIn = new OperatorSignIn({ db, accounts, passkeys, sessions, throttle, audit, key, freeAttempts: config.throttle.accountFreeAttempts });
  return {
    operators: {
      accounts,
      passkeys,
      sessions,
      signIn,
      enrolment: new OperatorEnrolment({ db, accounts, passkeys, signIn, key, issuerName: config.brandName, passwordMinLength: Math.max(config.passwordMinLength, 12) }),
      administration: new OperatorAdministration({ db, accounts, sessions, messenger: messaging.messenger, issuer: config.issuer, product: config.brandName }),
      workforce: config.consoleWorkforce && new WorkforceSignIn({ settings: config.consoleWorkforce, db, accounts, signIn, audit, fetch: outbound.fetch, key, issuer: config.issuer, timeoutMs: config.upstreamTimeoutMs }),
    },
  };
}
