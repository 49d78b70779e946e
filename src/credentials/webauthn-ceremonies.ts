import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { z } from 'zod';
import { DomainError, tooManyAttempts } from '../errors/domain-error.ts';
import { clientNetwork } from './client-address.ts';
import type { LoginThrottle } from './login-throttle.ts';
import type { OneTimeCodes } from './one-time-codes.ts';

/** A registered passkey as its owner stores it. */
export interface WebAuthnCredential {
  /** The credential id (base64url). */
  credentialId: string;
  /** COSE public key (base64url). */
  publicKey: string;
  counter: number;
  transports?: string[];
}

/** The parts of a browser's assertion needed to find the credential it claims. */
export interface Assertion {
  credentialId: string;
  /** The user handle the authenticator gave (the id it was registered for), if any. */
  userHandle?: string;
  response: AuthenticationResponseJSON;
}

/** Passkey ceremonies a network may start before further ones are delayed (forgotten after a quiet hour). */
const CHALLENGES_PER_NETWORK = 1000;

export const passkeyRefused = () => new DomainError('passkey_refused', 400, 'The passkey could not be verified');

const b64url = z.string().max(8192).regex(/^[A-Za-z0-9_-]*$/);
/** The browser's answers as WebAuthn JSON; anything else is refused before the library sees it. */
const assertionShape = z.looseObject({
  id: b64url.max(1024),
  rawId: b64url.max(1024),
  type: z.literal('public-key'),
  response: z.looseObject({ clientDataJSON: b64url, authenticatorData: b64url, signature: b64url, userHandle: b64url.optional() }),
  clientExtensionResults: z.looseObject({}).default({}),
});
const attestationShape = z.looseObject({
  id: b64url.max(1024),
  rawId: b64url.max(1024),
  type: z.literal('public-key'),
  response: z.looseObject({ clientDataJSON: b64url, attestationObject: b64url, transports: z.array(z.string().max(32)).max(10).optional() }),
  clientExtensionResults: z.looseObject({}).default({}),
});

function shaped<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw passkeyRefused();
  return parsed.data;
}

/**
 * The WebAuthn ceremonies (@simplewebauthn/server) shared by customers' and operators' passkeys:
 * discoverable credentials with user verification required, so one passkey is possession plus
 * the device's biometric or PIN. Challenges are single-use rows bound to the flow that asked for
 * them, and their issue is limited per network. Storage stays with each owner.
 */
export class WebAuthnCeremonies {
  readonly #codes: OneTimeCodes;
  readonly #throttle: LoginThrottle;
  readonly #rpId: string;
  readonly #origin: string;
  readonly #rpName: string;

  constructor(deps: { codes: OneTimeCodes; throttle: LoginThrottle; issuer: string; rpName: string }) {
    this.#codes = deps.codes;
    this.#throttle = deps.throttle;
    const url = new URL(deps.issuer);
    this.#rpId = url.hostname;
    this.#origin = url.origin;
    this.#rpName = deps.rpName;
  }

  async registrationOptions(
    flowId: string,
    user: { id: string; name: string; displayName: string },
    existing: ReadonlyArray<Pick<WebAuthnCredential, 'credentialId' | 'transports'>>,
    ip: string,
    /** `customerId`: the customer whose challenge row it is (forgotten with them); `rpName`: another name for the site. */
    options: { customerId?: string; rpName?: string } = {},
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    await this.#limitChallenges(ip);
    return generateRegistrationOptions({
      rpName: options.rpName ?? this.#rpName,
      rpID: this.#rpId,
      userName: user.name,
      userDisplayName: user.displayName,
      userID: new TextEncoder().encode(user.id),
      challenge: await this.#codes.issueChallenge(flowId, options.customerId ?? null),
      attestationType: 'none',
      excludeCredentials: existing.map((credential) => ({ id: credential.credentialId, ...(credential.transports ? { transports: credential.transports as never } : {}) })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
  }

  /** Verifies a registration answer against the flow's challenge (once) and answers the credential to store. */
  async verifyRegistration(flowId: string, answer: unknown): Promise<WebAuthnCredential> {
    const response = shaped(attestationShape, answer) as unknown as RegistrationResponseJSON;
    const result = await verifyRegistrationResponse({
      response,
      expectedChallenge: (challenge) => this.#redeem(flowId, challenge),
      expectedOrigin: this.#origin,
      expectedRPID: this.#rpId,
      requireUserVerification: true,
    }).catch(() => ({ verified: false as const }));
    if (!result.verified) throw passkeyRefused();
    const { credential } = result.registrationInfo;
    return {
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      ...(credential.transports ? { transports: credential.transports } : {}),
    };
  }

  /** Options for a sign-in with any passkey of this site (discoverable: the authenticator offers its accounts). */
  async authenticationOptions(flowId: string, ip: string): Promise<PublicKeyCredentialRequestOptionsJSON> {
    await this.#limitChallenges(ip);
    return generateAuthenticationOptions({ rpID: this.#rpId, userVerification: 'required', challenge: await this.#codes.issueChallenge(flowId, null) });
  }

  /** The browser's assertion, checked for shape: which credential it claims (the owner then finds it). */
  assertion(answer: unknown): Assertion {
    const response = shaped(assertionShape, answer) as unknown as AuthenticationResponseJSON;
    const handle = response.response.userHandle;
    return { credentialId: response.id, response, ...(handle ? { userHandle: Buffer.from(handle, 'base64url').toString('utf8') } : {}) };
  }

  /** Verifies the assertion with the stored credential and the flow's challenge (once); answers the new signature counter. */
  async verifyAuthentication(flowId: string, assertion: Assertion, stored: WebAuthnCredential): Promise<number> {
    const result = await verifyAuthenticationResponse({
      response: assertion.response,
      expectedChallenge: (challenge) => this.#redeem(flowId, challenge),
      expectedOrigin: this.#origin,
      expectedRPID: this.#rpId,
      credential: { id: stored.credentialId, publicKey: Buffer.from(stored.publicKey, 'base64url'), counter: stored.counter, ...(stored.transports ? { transports: stored.transports as never } : {}) },
      requireUserVerification: true,
    }).catch(() => ({ verified: false, authenticationInfo: undefined }));
    if (!result.verified || !result.authenticationInfo) throw passkeyRefused();
    return result.authenticationInfo.newCounter;
  }

  /** Each options request stores a challenge: they are limited per network like code sends. */
  async #limitChallenges(ip: string): Promise<void> {
    const decision = await this.#throttle.attempt([this.#throttle.keyFor('passkey-options', clientNetwork(ip), CHALLENGES_PER_NETWORK)]);
    if (!decision.allowed) throw tooManyAttempts(decision.retryAfterSeconds);
  }

  /** The library hands the challenge as base64url of the bytes we gave it, i.e. of our token's text. */
  async #redeem(flowId: string, challenge: string): Promise<boolean> {
    const token = Buffer.from(challenge, 'base64url').toString('utf8');
    return (await this.#codes.redeemLink('passkey_challenge', flowId, token)) !== undefined;
  }
}
