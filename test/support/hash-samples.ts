import { createHash, createHmac, pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto';
import { hashRaw, hash as argon2Hash } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { generateHash as phpassHash } from 'check-wordpress-password';
import type { ImportedHashInput } from '../../src/credentials/imported-hashes.ts';

/** phpass's own test vector (test.php of phpass 0.3, Openwall): a portable hash of `test12345`. */
export const PHPASS_VECTOR = { hash: '$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0', password: 'test12345' };

/** Firebase's published test values (github.com/firebase/scrypt, README). */
export const FIREBASE_VECTOR = {
  algorithm: 'firebase-scrypt' as const,
  signer_key: 'jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==',
  salt_separator: 'Bw==',
  rounds: 8,
  mem_cost: 14,
  salt: '42xEC+ixf3L2lw==',
  hash: 'lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==',
  password: 'user1password',
};

function aspnetV3(password: string): string {
  const salt = randomBytes(16);
  const subkey = pbkdf2Sync(password, salt, 10000, 32, 'sha256');
  const header = Buffer.alloc(13);
  header[0] = 1;
  header.writeUInt32BE(1, 1);
  header.writeUInt32BE(10000, 5);
  header.writeUInt32BE(16, 9);
  return Buffer.concat([header, salt, subkey]).toString('base64');
}

async function magentoArgon2(password: string): Promise<string> {
  const salt = 'abcdefghijklmnopqrstuvwxyz012345';
  const raw = await hashRaw(password, { algorithm: 2, memoryCost: 65536, timeCost: 2, parallelism: 1, outputLen: 32, salt: Buffer.from(salt.slice(0, 16)) });
  return `${raw.toString('hex')}:${salt}:3_32_2_67108864`;
}

/** One hash per format of `password`, each made by the library or primitive that platform uses. */
export async function sampleHashes(password: string): Promise<Array<[string, ImportedHashInput]>> {
  const salt = randomBytes(16);
  const djangoSalt = 'Zp3kQm8RtYw2';
  const scryptSalt = randomBytes(16);
  return [
    ['argon2', await argon2Hash(password, { algorithm: 0 /* argon2d */ })],
    ['bcrypt', bcrypt.hashSync(password, 4).replace(/^\$2b\$/, '$2y$')],
    ['scrypt', `$scrypt$ln=10,r=8,p=1$${scryptSalt.toString('base64').replace(/=+$/, '')}$${scryptSync(password, scryptSalt, 32, { N: 1024, r: 8, p: 1 }).toString('base64').replace(/=+$/, '')}`],
    ['pbkdf2', `$pbkdf2-sha256$1000$${salt.toString('base64').replace(/=+$/, '').replace(/\+/g, '.')}$${pbkdf2Sync(password, salt, 1000, 32, 'sha256').toString('base64').replace(/=+$/, '').replace(/\+/g, '.')}`],
    ['django-pbkdf2', `pbkdf2_sha256$1000$${djangoSalt}$${pbkdf2Sync(password, djangoSalt, 1000, 32, 'sha256').toString('base64')}`],
    ['aspnet-identity-v3', aspnetV3(password)],
    ['phpass', phpassHash(password, 8)],
    ['wordpress-bcrypt', `$wp${bcrypt.hashSync(createHmac('sha384', 'wp-sha384').update(password.trim()).digest('base64'), 4).replace(/^\$2b\$/, '$2y$')}`],
    ['magento-argon2id', await magentoArgon2(password)],
    ['magento-sha256', `${createHash('sha256').update(`s4lt${password}`).digest('hex')}:s4lt:1`],
    ['salted-sha1', { algorithm: 'sha1', salt: 'pepper', salt_position: 'after', hash: createHash('sha1').update(`${password}pepper`).digest('hex') }],
    ['salted-md5', { algorithm: 'md5', salt: 'x', hash: createHash('md5').update(`x${password}`).digest('hex') }],
  ];
}

/** When the fixture's first customer decided on the newsletter, on the old platform. */
export const CAPTURED = Date.parse('2021-03-01T10:00:00Z');

/** A customer of the fixture: their line, e-mail and original password. */
export interface Fixture {
  email: string;
  password: string;
  format: string;
}

/** 200+ customers over every hash format, each hash made by that format's own library (bcryptjs, check-wordpress-password, node:crypto, argon2) and Firebase's published vector. */
export async function mixedCustomers(count: number): Promise<{ fixtures: Fixture[]; lines: string[] }> {
  const fixtures: Fixture[] = [];
  const lines: string[] = [];
  let samples: Array<[string, unknown]> = [];
  for (let i = 0; i < count; i++) {
    const password = `Lösen ${Math.floor(i / 12)} ord!`;
    if (i % 12 === 0) samples = await sampleHashes(password);
    const [format, hash] = samples[i % 12]!;
    const email = `moved${i}@example.se`;
    fixtures.push({ email, password, format });
    const consents = i === 0 ? [{ purpose: 'newsletter', decision: 'granted', version: 1, captured_at: new Date(CAPTURED).toISOString(), proof: 'signup-form-2021' }] : undefined;
    lines.push(JSON.stringify({ source_id: `wc-${i}`, email, email_verified: true, given_name: 'Moved', family_name: `Number${i}`, locale: 'sv', password_hash: hash, ...(consents ? { consents } : {}) }));
  }
  const { password, ...firebase } = FIREBASE_VECTOR;
  fixtures.push({ email: 'firebase@example.se', password, format: 'firebase-scrypt' });
  lines.push(JSON.stringify({ source_id: 'fb-1', email: 'firebase@example.se', password_hash: firebase }));
  return { fixtures, lines };
}
