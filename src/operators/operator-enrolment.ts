import type { Kysely } from 'kysely';
import { open, seal, type SealingKeys } from '../crypto/sealed-box.ts';
import { hashPassword } from '../credentials/password-hasher.ts';
import { assertAcceptablePassword } from '../credentials/password-policy.ts';
import { totpQrSvg } from '../credentials/totp-qr.ts';
import { generateTotpSecret, totpUri, verifyTotp } from '../credentials/totp.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { Database } from '../store/schema.ts';
import { tokenHash, type OperatorAccount, type OperatorAccounts } from './operator-accounts.ts';
import type { OperatorPasskeys } from './operator-passkeys.ts';
import type { OperatorSignIn } from './operator-sign-in.ts';

/** How long the page offering a TOTP secret stays good. */
const OFFER_TTL_MS = 30 * 60_000;

export interface TotpOffer {
  /** The secret sealed for the form (bound to the invitation); the page shows the secret and its QR code. */
  ticket: string;
  secret: string;
  qrSvg: string;
}

const expired = () => new DomainError('invitation_invalid', 400, 'This invitation link has expired or was used');

/**
 * Taking an invitation: the operator sets up the mandatory second factor — a passkey, or a
 * password together with an authenticator app (TOTP, its first code proving it was set up) — and
 * is signed in. The link is consumed in the same transaction that stores the credentials, so a
 * link works once and a refused form writes nothing.
 */
export class OperatorEnrolment {
  readonly #db: Kysely<Database>;
  readonly #accounts: OperatorAccounts;
  readonly #passkeys: OperatorPasskeys;
  readonly #signIn: OperatorSignIn;
  readonly #key: SealingKeys;
  readonly #issuerName: string;
  readonly #passwordMinLength: number;

  constructor(deps: { db: Kysely<Database>; accounts: OperatorAccounts; passkeys: OperatorPasskeys; signIn: OperatorSignIn; key: SealingKeys; issuerName: string; passwordMinLength: number }) {
    this.#db = deps.db;
    this.#accounts = deps.accounts;
    this.#passkeys = deps.passkeys;
    this.#signIn = deps.signIn;
    this.#key = deps.key;
    this.#issuerName = deps.issuerName;
    this.#passwordMinLength = deps.passwordMinLength;
  }

  /** The invited operator of a live link, or a 400 `invitation_invalid`. */
  async invited(token: string): Promise<OperatorAccount> {
    const operator = await this.#accounts.invited(token);
    if (!operator) throw expired();
    return operator;
  }

  /** A secret to scan; `ticket` (a refused form's) keeps the one already scanned while it lasts. */
  async totpOffer(token: string, ticket?: string, now = Date.now()): Promise<TotpOffer> {
    const operator = await this.invited(token);
    let secret = generateTotpSecret();
    try {
      if (ticket) secret = this.#offered(ticket, token, now);
    } catch {
      // an expired or foreign ticket: a new secret
    }
    const uri = totpUri({ secret, accountName: operator.email.replace(/:/g, ''), issuer: `${this.#issuerName.replace(/:/g, '')} console` });
    const sealed = seal(this.#key, JSON.stringify({ secret, invitation: tokenHash(token), exp: now + OFFER_TTL_MS }), 'operator-totp-offer');
    return { ticket: sealed, secret, qrSvg: await totpQrSvg(uri) };
  }

  /** Password and the first code of the offered secret; answers the console session's cookie value. */
  async acceptWithTotp(token: string, input: { password: string; ticket: string; code: string }, now = Date.now()): Promise<string> {
    const operator = await this.invited(token);
    assertAcceptablePassword(input.password, this.#passwordMinLength);
    const secret = this.#offered(input.ticket, token, now);
    const check = verifyTotp(secret, input.code, { now });
    if (!check.ok) throw new DomainError('invalid_code', 400, 'The code is wrong; type the one your app shows now');
    const passwordHash = await hashPassword(input.password);
    await this.#db.transaction().execute((trx) => this.#accounts.accept(trx, token, { passwordHash, totpSecret: this.#signIn.sealTotp(operator.id, secret), totpStep: check.step }, now));
    return this.#signIn.start(operator, 'totp', now);
  }

  async passkeyOptions(token: string, ip: string) {
    const operator = await this.invited(token);
    return this.#passkeys.registrationOptions(flowOf(token), operator, ip);
  }

  /** A verified passkey; answers the console session's cookie value. */
  async acceptWithPasskey(token: string, answer: unknown, label: string, now = Date.now()): Promise<string> {
    const operator = await this.invited(token);
    const credential = await this.#passkeys.verifyRegistration(flowOf(token), answer);
    await this.#db.transaction().execute(async (trx) => {
      await this.#accounts.accept(trx, token, { passwordHash: null, totpSecret: null, totpStep: null }, now);
      await this.#passkeys.add(trx, operator.id, credential, label, now);
    });
    return this.#signIn.start(operator, 'passkey', now);
  }

  #offered(ticket: string, token: string, now: number): string {
    try {
      const data = JSON.parse(open(this.#key, ticket, 'operator-totp-offer')) as { secret: string; invitation: string; exp: number };
      if (data.invitation === tokenHash(token) && data.exp > now) return data.secret;
    } catch {
      // a ticket that does not open is refused below
    }
    throw new DomainError('sign_in_expired', 400, 'The page had expired; scan the new code');
  }
}

/** The passkey challenge of an invitation is bound to it. */
const flowOf = (token: string) => `operator-invite:${tokenHash(token)}`;
