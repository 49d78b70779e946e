import { LoginThrottle } from '../credentials/login-throttle.ts';
import { OneTimeCodes } from '../credentials/one-time-codes.ts';
import { WebAuthnCeremonies } from '../credentials/webauthn-ceremonies.ts';
import { Passkeys } from '../credentials/passkeys.ts';
import { SecondFactors } from '../credentials/second-factors.ts';
import { PasswordSignIn } from '../flows/password-sign-in.ts';
import { DeviceCodeGuesses } from '../oidc/device-code-guesses.ts';
import { SigningKeyStore } from '../oidc/signing-keys.ts';
import { ApiKeys } from '../operators/api-keys.ts';
import type { CustomerDomain } from './customer-domain.ts';
import type { Infrastructure } from './infrastructure.ts';

const CODE_TTL_MS = 15 * 60_000;

/** What proves who someone is: passwords (throttled), one-time codes, second factors, passkeys, operator keys, signing keys. */
export interface CredentialServices {
  throttle: LoginThrottle;
  codes: OneTimeCodes;
  passwordSignIn: PasswordSignIn;
  factors: SecondFactors;
  /** The WebAuthn ceremonies customers' and operators' passkeys share. */
  ceremonies: WebAuthnCeremonies;
  passkeys: Passkeys;
  keys: SigningKeyStore;
  apiKeys: ApiKeys;
  deviceCodeGuesses: DeviceCodeGuesses;
}

export function buildCredentialServices({ config, store }: Infrastructure, { customers, audit, credentialStore }: CustomerDomain): CredentialServices {
  const { db } = store;
  const throttle = new LoginThrottle(db, config.throttle, config.secrets.hashing('ip-pseudonym'));
  const codes = new OneTimeCodes(db, config.secrets.hashing('one-time-code'), { maxAttempts: config.codes.maxAttempts, ttlMs: CODE_TTL_MS });
  const factors = new SecondFactors({
    db,
    credentials: credentialStore,
    secretKey: config.secrets.sealing('totp-secret'),
    codeKey: config.secrets.hashing('recovery-code'),
    throttle,
    issuerName: config.brandName,
    freeAttempts: config.throttle.accountFreeAttempts,
    audit,
  });
  const ceremonies = new WebAuthnCeremonies({ codes, throttle, issuer: config.issuer, rpName: config.brandName });
  return {
    throttle,
    codes,
    passwordSignIn: new PasswordSignIn(customers, throttle, audit),
    factors,
    ceremonies,
    passkeys: new Passkeys({ db, credentials: credentialStore, ceremonies, audit }),
    keys: new SigningKeyStore(db, config.secrets.sealing('signing-key-encryption')),
    apiKeys: new ApiKeys(db, audit),
    deviceCodeGuesses: new DeviceCodeGuesses(throttle, config.deviceCodeFreeGuesses),
  };
}
