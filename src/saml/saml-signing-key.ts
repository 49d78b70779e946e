// @peculiar/x509 needs the Reflect metadata polyfill (its tsyringe) loaded before it.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { Kysely, Transaction } from 'kysely';
import { open, seal, type SealingKeys } from '../crypto/sealed-box.ts';
import type { Database } from '../store/schema.ts';

/** The key and certificate samlify signs with (PEM). */
export interface SamlSigningKey {
  privateKey: string;
  certificate: string;
}

const KEY_ID = 'current';
const ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;
const CERTIFICATE_YEARS = 10;

/**
 * The IdP's RSA key (RSA-SHA256 signatures) in `saml_signing_keys`, sealed like the OpenID signing
 * keys, with a self-signed certificate: SAML trusts the certificate in the metadata, not a CA.
 * Made once by the first node that needs it; every node reads the same row.
 */
export class SamlSigningKeyStore {
  readonly #db: Kysely<Database>;
  readonly #sealingKey: SealingKeys;
  readonly #subject: string;
  #loaded: Promise<SamlSigningKey> | undefined;

  constructor(db: Kysely<Database>, sealingKeys: SealingKeys, issuer: string) {
    this.#db = db;
    this.#sealingKey = sealingKeys;
    this.#subject = `CN=${new URL(issuer).hostname.replace(/[^A-Za-z0-9.-]/g, '')}`;
  }

  /** The key, made and stored on first use. */
  current(): Promise<SamlSigningKey> {
    this.#loaded ??= this.#load().catch((error: unknown) => {
      this.#loaded = undefined;
      throw error;
    });
    return this.#loaded;
  }

  async #load(): Promise<SamlSigningKey> {
    const stored = await this.#read();
    if (stored) return stored;
    const made = await selfSignedKey(this.#subject);
    await this.#db
      .insertInto('saml_signing_keys')
      .values({ id: KEY_ID, encrypted_key: seal(this.#sealingKey, made.privateKey, `saml:${KEY_ID}`), certificate: made.certificate, created_at: Date.now() })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .execute();
    // Another node may have won the race: its key is the one.
    return (await this.#read())!;
  }

  async #read(): Promise<SamlSigningKey | undefined> {
    const row = await this.#db.selectFrom('saml_signing_keys').select(['encrypted_key', 'certificate']).where('id', '=', KEY_ID).executeTakeFirst();
    return row && { privateKey: open(this.#sealingKey, row.encrypted_key, `saml:${KEY_ID}`), certificate: row.certificate };
  }
}

/** A new RSA key (RSA-SHA256) with a self-signed certificate for `subject` (`CN=…`), both PEM. */
export async function selfSignedKey(subject: string): Promise<SamlSigningKey> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const notBefore = new Date();
  const notAfter = new Date(notBefore);
  notAfter.setFullYear(notAfter.getFullYear() + CERTIFICATE_YEARS);
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: `01${randomBytes(15).toString('hex')}`,
    name: subject,
    notBefore,
    notAfter,
    keys: keys as unknown as CryptoKeyPair,
    signingAlgorithm: ALGORITHM,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  return { privateKey: `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`, certificate: certificate.toString('pem') };
}

/** `secret rotate` (ops/secret-rotation.ts): the SAML signing key sealed again, unless a node changed it meanwhile; answers the rows changed. */
export async function resealSamlSigningKey(trx: Transaction<Database>, id: string, was: string, sealed: string): Promise<bigint> {
  const result = await trx.updateTable('saml_signing_keys').set({ encrypted_key: sealed }).where('id', '=', id).where('encrypted_key', '=', was).executeTakeFirst();
  return result.numUpdatedRows;
}
