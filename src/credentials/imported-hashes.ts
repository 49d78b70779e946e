import { createCipheriv, createHash, createHmac, pbkdf2, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { hashRaw, verify as verifyArgon2 } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { checkPassword as checkPhpass } from 'check-wordpress-password';
import { hashingSlots } from './hashing-slots.ts';

/**
 * Password hashes brought from another platform (`portvakt import`), each verified by a kept
 * library or by node:crypto primitives composed as the platform documents them, never by
 * cryptography written here. An imported hash is stored in the password row as
 * `import:<format>:<weak policy>:<hash>` and lives only until the customer's next successful
 * sign-in, which re-hashes the password to argon2id (`password-hasher.ts`) in the same step.
 */
export type HashFormat =
  | 'argon2'
  | 'bcrypt'
  | 'scrypt'
  | 'firebase-scrypt'
  | 'pbkdf2'
  | 'django-pbkdf2'
  | 'aspnet-identity-v3'
  | 'phpass'
  | 'wordpress-bcrypt'
  | 'magento-argon2id'
  | 'magento-sha256'
  | 'magento-md5'
  | 'salted-sha256'
  | 'salted-sha1'
  | 'salted-md5';

export const HASH_FORMATS: readonly HashFormat[] = ['argon2', 'bcrypt', 'scrypt', 'firebase-scrypt', 'pbkdf2', 'django-pbkdf2', 'aspnet-identity-v3', 'phpass', 'wordpress-bcrypt', 'magento-argon2id', 'magento-sha256', 'magento-md5', 'salted-sha256', 'salted-sha1', 'salted-md5'];

/** Formats a single fast digest protects: imported only with `--allow-weak-hashes`. */
const WEAK: ReadonlySet<HashFormat> = new Set(['magento-sha256', 'magento-md5', 'salted-sha256', 'salted-sha1', 'salted-md5']);

/** What becomes of a weak hash at the next sign-in: re-hashed, or the customer chooses a new password (recovery). */
export type WeakPolicy = 'rehash' | 'reset';

/** A hash as a record may carry it: a self-describing string, or the parts of a format that needs them. */
export type ImportedHashInput =
  | string
  | { algorithm: 'firebase-scrypt'; hash: string; salt: string; signer_key: string; salt_separator: string; rounds: number; mem_cost: number }
  | { algorithm: 'sha256' | 'sha1' | 'md5'; hash: string; salt: string; salt_position?: 'before' | 'after' };

export interface RecognisedHash {
  format: HashFormat;
  weak: boolean;
  /** What the password row holds. */
  stored: string;
}

export class HashRefusal extends Error {
  readonly reason: 'unknown_hash_format' | 'weak_hash_not_allowed';
  constructor(reason: 'unknown_hash_format' | 'weak_hash_not_allowed', message: string) {
    super(message);
    this.reason = reason;
  }
}

const PREFIX = 'import:';
const B64 = '[A-Za-z0-9+/.=_-]+';
const PATTERNS: ReadonlyArray<[HashFormat, RegExp]> = [
  ['argon2', /^\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/],
  ['bcrypt', /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/],
  ['scrypt', new RegExp(`^\\$scrypt\\$ln=\\d+,r=\\d+,p=\\d+\\$${B64}\\$${B64}$`)],
  ['firebase-scrypt', new RegExp(`^\\$firebase-scrypt\\$r=\\d+,m=\\d+\\$${B64}\\$${B64}\\$${B64}\\$${B64}$`)],
  ['pbkdf2', new RegExp(`^\\$pbkdf2(-sha1|-sha256|-sha512)?\\$\\d+\\$${B64}\\$${B64}$`)],
  ['django-pbkdf2', /^pbkdf2_sha(1|256)\$\d+\$[^$]+\$[A-Za-z0-9+/=]+$/],
  // phpass's cost letter from 2^7 ('5') to 2^16 ('E') rounds: WordPress writes 'B', phpBB '9'; more would let one sign-in spend seconds.
  ['phpass', /^\$[PH]\$[5-9A-E][./0-9A-Za-z]{30}$/],
  ['wordpress-bcrypt', /^\$wp\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/],
  ['salted-sha256', new RegExp(`^\\$salted-sha256\\$(before|after)\\$${B64}\\$[0-9a-f]{64}$`)],
  ['salted-sha1', new RegExp(`^\\$salted-sha1\\$(before|after)\\$${B64}\\$[0-9a-f]{40}$`)],
  ['salted-md5', new RegExp(`^\\$salted-md5\\$(before|after)\\$${B64}\\$[0-9a-f]{32}$`)],
];

/** A string is an imported hash the password row may hold (versus Portvakt's own argon2id). */
export function isImported(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

/** Which format an imported hash is in, and how the row holds it; refused when unknown, or weak without `allowWeak`. */
export function recogniseHash(input: ImportedHashInput, options: { allowWeak: boolean; weakPolicy: WeakPolicy }): RecognisedHash {
  const canonical = canonicalOf(input);
  const format = canonical === undefined ? undefined : (PATTERNS.find(([, pattern]) => pattern.test(canonical))?.[0] ?? magentoFormat(canonical) ?? (aspnetParts(canonical) ? 'aspnet-identity-v3' : undefined));
  if (canonical === undefined || format === undefined) throw new HashRefusal('unknown_hash_format', 'The password hash is in no format Portvakt knows');
  const weak = WEAK.has(format);
  if (weak && !options.allowWeak) throw new HashRefusal('weak_hash_not_allowed', `${format} is a weak hash: import it with --allow-weak-hashes`);
  return { format, weak, stored: `${PREFIX}${format}:${weak ? options.weakPolicy : 'rehash'}:${canonical}` };
}

/** The format-bearing strings of the object forms (Firebase's parameters, a bare salted digest). */
function canonicalOf(input: ImportedHashInput): string | undefined {
  if (typeof input === 'string') return input.trim();
  if (input.algorithm === 'firebase-scrypt') {
    return `$firebase-scrypt$r=${input.rounds},m=${input.mem_cost}$${input.salt_separator}$${input.signer_key}$${input.salt}$${input.hash}`;
  }
  if (input.algorithm === 'sha256' || input.algorithm === 'sha1' || input.algorithm === 'md5') {
    return `$salted-${input.algorithm}$${input.salt_position ?? 'before'}$${Buffer.from(input.salt, 'utf8').toString('base64url')}$${input.hash.toLowerCase()}`;
  }
  return undefined;
}

/** The format and weak policy of a stored imported hash. */
export function importedFormat(stored: string): { format: HashFormat; policy: WeakPolicy; weak: boolean } | undefined {
  if (!isImported(stored)) return undefined;
  const [, format, policy] = stored.split(':', 3) as [string, HashFormat, WeakPolicy];
  return { format, policy, weak: WEAK.has(format) };
}

/** Checks a password against an imported hash; false for a wrong password or a malformed hash. */
export async function verifyImported(stored: string, password: string): Promise<boolean> {
  const known = importedFormat(stored);
  if (!known) return false;
  const hash = stored.slice(PREFIX.length + known.format.length + known.policy.length + 2);
  try {
    return await hashingSlots.run(() => VERIFIERS[known.format](hash, password));
  } catch {
    return false;
  }
}

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (password: string | Buffer, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

/** Standard or URL-safe base64, padded or not, and passlib's adapted base64 ('.' for '+'). */
function b64(text: string): Buffer {
  return Buffer.from(text.replace(/\./g, '+').replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

const VERIFIERS: Record<HashFormat, (hash: string, password: string) => Promise<boolean>> = {
  argon2: (hash, password) => verifyArgon2(hash, password),
  bcrypt: (hash, password) => bcrypt.compare(password, hash),
  scrypt: verifyScrypt,
  'firebase-scrypt': verifyFirebaseScrypt,
  pbkdf2: verifyPhcPbkdf2,
  'django-pbkdf2': verifyDjango,
  'aspnet-identity-v3': verifyAspnet,
  // phpass's portable mode over the password's UTF-8 bytes, as PHP hashes what the form sent; `$H$` (phpBB) is the same algorithm.
  phpass: async (hash, password) => checkPhpass(password, hash),
  // WordPress 6.8+: bcrypt over base64(HMAC-SHA384 keyed 'wp-sha384' of the trimmed password), behind `$wp`.
  'wordpress-bcrypt': (hash, password) => bcrypt.compare(createHmac('sha384', 'wp-sha384').update(password.trim(), 'utf8').digest('base64'), hash.slice(3)),
  'magento-argon2id': verifyMagento,
  'magento-sha256': verifyMagento,
  'magento-md5': verifyMagento,
  'salted-sha256': (hash, password) => verifySalted('sha256', hash, password),
  'salted-sha1': (hash, password) => verifySalted('sha1', hash, password),
  'salted-md5': (hash, password) => verifySalted('md5', hash, password),
};

/** passlib / PHC `$scrypt$ln=…,r=…,p=…$salt$hash`. */
async function verifyScrypt(hash: string, password: string): Promise<boolean> {
  const [, , params, salt, digest] = hash.split('$') as [string, string, string, string, string];
  const { ln, r, p } = Object.fromEntries(params.split(',').map((pair) => pair.split('=')).map(([k, v]) => [k, Number(v)])) as { ln: number; r: number; p: number };
  const expected = b64(digest);
  const N = 2 ** ln;
  const derived = await scryptAsync(password, b64(salt), expected.length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  return same(derived, expected);
}

/**
 * Firebase's modified scrypt, as Firebase documents it (github.com/firebase/scrypt): scrypt of the
 * password over salt + salt separator (N = 2^mem_cost, r = rounds, p = 1, 64 bytes); its first 32
 * bytes key AES-256-CTR (zero IV), which encrypts the project's signer key; the result is the hash.
 */
async function verifyFirebaseScrypt(hash: string, password: string): Promise<boolean> {
  const [, , params, separator, signerKey, salt, digest] = hash.split('$') as [string, string, string, string, string, string, string];
  const { r, m } = Object.fromEntries(params.split(',').map((pair) => pair.split('=')).map(([k, v]) => [k, Number(v)])) as { r: number; m: number };
  const N = 2 ** m;
  const derived = await scryptAsync(password, Buffer.concat([b64(salt), b64(separator)]), 64, { N, r, p: 1, maxmem: 256 * N * r + 1024 * 1024 });
  const cipher = createCipheriv('aes-256-ctr', derived.subarray(0, 32), Buffer.alloc(16, 0));
  const encrypted = Buffer.concat([cipher.update(b64(signerKey)), cipher.final()]);
  return same(encrypted, b64(digest));
}

const PHC_DIGESTS: Record<string, string> = { '': 'sha1', '-sha1': 'sha1', '-sha256': 'sha256', '-sha512': 'sha512' };

/** passlib / PHC `$pbkdf2-sha256$rounds$salt$hash` (adapted base64). */
async function verifyPhcPbkdf2(hash: string, password: string): Promise<boolean> {
  const [, scheme, rounds, salt, digest] = hash.split('$') as [string, string, string, string, string];
  const expected = b64(digest);
  const derived = await pbkdf2Async(password, b64(salt), Number(rounds), expected.length, PHC_DIGESTS[scheme.slice('pbkdf2'.length)]!);
  return same(derived, expected);
}

/** Django's `pbkdf2_sha256$iterations$salt$base64(hash)` (the salt as text). */
async function verifyDjango(hash: string, password: string): Promise<boolean> {
  const [algorithm, iterations, salt, digest] = hash.split('$') as [string, string, string, string];
  const expected = Buffer.from(digest, 'base64');
  const derived = await pbkdf2Async(password, Buffer.from(salt, 'utf8'), Number(iterations), expected.length, algorithm === 'pbkdf2_sha1' ? 'sha1' : 'sha256');
  return same(derived, expected);
}

const ASPNET_PRF = ['sha1', 'sha256', 'sha512'] as const;

/** ASP.NET Core Identity v3: base64 of 0x01, PRF, iteration count, salt length (big-endian uint32 each), salt, subkey. */
function aspnetParts(text: string): { prf: string; iterations: number; salt: Buffer; subkey: Buffer } | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length < 13 + 16 + 16 || bytes[0] !== 0x01) return undefined;
  const prf = ASPNET_PRF[bytes.readUInt32BE(1)];
  const iterations = bytes.readUInt32BE(5);
  const saltLength = bytes.readUInt32BE(9);
  if (!prf || iterations < 1 || saltLength < 16 || 13 + saltLength >= bytes.length) return undefined;
  return { prf, iterations, salt: bytes.subarray(13, 13 + saltLength), subkey: bytes.subarray(13 + saltLength) };
}

async function verifyAspnet(hash: string, password: string): Promise<boolean> {
  const parts = aspnetParts(hash);
  if (!parts) return false;
  const derived = await pbkdf2Async(password, parts.salt, parts.iterations, parts.subkey.length, parts.prf);
  return same(derived, parts.subkey);
}

/**
 * One step of a Magento 2 hash (its Encryptor's versions): md5 (0) or sha256 (1) of salt + input,
 * hex; or libsodium's crypto_pwhash, argon2id13 over the salt made 16 bytes, hex: with the
 * INTERACTIVE limits (2: 32 bytes, 2 passes, 64 MiB) or with its parameters written out
 * (`3_<bytes>_<passes>_<memory bytes>`, what Magento writes since 2.4: `3_32_2_67108864`).
 */
type MagentoStep = { digest: 'md5' | 'sha256' } | { argon2id: { outputLen: number; timeCost: number; memoryKiB: number } };

const MAGENTO = /^([0-9a-f]{32,128}):([^:]+):([0-9_:]+)$/;
/** Limits on a written-out argon2id step, so that an imported hash cannot ask for more than libsodium's SENSITIVE memory. */
const MAGENTO_ARGON_LIMITS = { outputLen: [16, 64], timeCost: [1, 10], memoryKiB: [8, 1024 * 1024] } as const;

/**
 * The steps of a Magento 2 hash `hash:salt:version[:version…]`, oldest first: a hash upgraded in
 * place (`bin/magento customer:hash:upgrade`) is the newer algorithm over the older one's hex, its
 * versions listed in the order they were applied (`…:1:3_32_2_67108864`: sha256, then argon2id).
 */
function magentoSteps(versions: string): MagentoStep[] | undefined {
  const steps = versions.split(':').map((version): MagentoStep | undefined => {
    if (version === '0') return { digest: 'md5' };
    if (version === '1') return { digest: 'sha256' };
    if (version === '2') return { argon2id: { outputLen: 32, timeCost: 2, memoryKiB: 65536 } };
    const written = /^3_(\d{1,3})_(\d{1,3})_(\d{1,13})$/.exec(version);
    if (!written) return undefined;
    const argon2id = { outputLen: Number(written[1]), timeCost: Number(written[2]), memoryKiB: Number(written[3]) / 1024 };
    const within = (Object.keys(MAGENTO_ARGON_LIMITS) as Array<keyof typeof argon2id>).every((key) => Number.isInteger(argon2id[key]) && argon2id[key] >= MAGENTO_ARGON_LIMITS[key][0] && argon2id[key] <= MAGENTO_ARGON_LIMITS[key][1]);
    return within ? { argon2id } : undefined;
  });
  if (steps.length > 4 || steps.some((step) => step === undefined)) return undefined;
  return steps as MagentoStep[];
}

/** A Magento 2 hash's format, by its last step: argon2id, or (weak) sha256 or md5. */
function magentoFormat(text: string): HashFormat | undefined {
  const [, digest, , versions] = MAGENTO.exec(text) ?? [];
  const steps = versions === undefined ? undefined : magentoSteps(versions);
  const last = steps?.at(-1);
  if (!last || !digest) return undefined;
  const expectedLength = 'argon2id' in last ? last.argon2id.outputLen * 2 : last.digest === 'md5' ? 32 : 64;
  if (digest.length !== expectedLength) return undefined;
  return 'argon2id' in last ? 'magento-argon2id' : last.digest === 'md5' ? 'magento-md5' : 'magento-sha256';
}

/** Magento 2's `isValidHash`: the password through every step in turn, each over the last one's hex. */
async function verifyMagento(hash: string, password: string): Promise<boolean> {
  const [, digest, saltText, versions] = MAGENTO.exec(hash) as unknown as [string, string, string, string];
  let recreated = password;
  for (const step of magentoSteps(versions)!) {
    if ('digest' in step) {
      recreated = createHash(step.digest).update(saltText + recreated, 'utf8').digest('hex');
    } else {
      const { outputLen, timeCost, memoryKiB } = step.argon2id;
      recreated = (await hashRaw(recreated, { algorithm: 2, memoryCost: memoryKiB, timeCost, parallelism: 1, outputLen, salt: magentoSalt(saltText) })).toString('hex');
    }
  }
  return same(Buffer.from(recreated, 'hex'), Buffer.from(digest, 'hex'));
}

/** libsodium wants 16 bytes of salt: Magento repeats a shorter one (`str_pad`) and cuts a longer one. */
function magentoSalt(saltText: string): Buffer {
  const bytes = Buffer.from(saltText, 'utf8');
  let salt = bytes.subarray(0, 16);
  while (salt.length < 16) salt = Buffer.concat([salt, bytes]).subarray(0, 16);
  return salt;
}

/** `$salted-<digest>$before|after$base64url(salt)$hex`: one digest of salt and password (weak). */
async function verifySalted(algorithm: 'sha256' | 'sha1' | 'md5', hash: string, password: string): Promise<boolean> {
  const [, , position, salt, digest] = hash.split('$') as [string, string, string, string, string];
  const saltText = Buffer.from(salt, 'base64url').toString('utf8');
  const input = position === 'after' ? password + saltText : saltText + password;
  return same(createHash(algorithm).update(input, 'utf8').digest(), Buffer.from(digest, 'hex'));
}
