/**
 * Secrets: random tokens, their digests, constant-time comparison, and
 * password hashing with scrypt (memory-hard, in node, no native addon).
 */
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** A random secret of `bytes` bytes, URL-safe. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Compares two secrets in constant time. Both are hashed first, so the
 * comparison also takes the same time whatever their lengths.
 */
export function secretsEqual(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

/** A stored digest against the digest of a secret given now, in constant time. */
export function digestMatches(secret: string, storedDigest: Buffer): boolean {
  const digest = sha256(secret);
  return digest.length === storedDigest.length && timingSafeEqual(digest, storedDigest);
}

// OWASP's scrypt floor is N=2^17 with r=8 (128 MiB); 2^15 (32 MiB, 95 ms a check on this machine) keeps sign-in quick on a small
// server. The parameters are stored with each hash, so raising them later leaves older hashes readable.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keyLength: 32 };

function derive(password: string, salt: Buffer, options: ScryptOptions & { keyLength: number }): Promise<Buffer> {
  const { keyLength, ...params } = options;
  const maxmem = 256 * (params.N ?? 0) * (params.r ?? 0) + 2 ** 20;
  return new Promise((resolve, reject) => scrypt(password, salt, keyLength, { ...params, maxmem }, (error, key) => (error === null ? resolve(key) : reject(error))));
}

/** `scrypt$N$r$p$salt$hash` (base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, N, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(N), r: Number(r), p: Number(p), keyLength: expected.length });
  return timingSafeEqual(actual, expected);
}
