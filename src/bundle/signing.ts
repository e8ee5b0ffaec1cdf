import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { sha256Hex } from '../core/canonical.js';

/**
 * Ed25519 signing of bundle manifests (node:crypto). Keys are PEM files OpenSSL reads as they are:
 * the private key PKCS#8, the public key SubjectPublicKeyInfo, so an auditor verifies with
 * `openssl pkeyutl -verify -pubin -inkey annexa-signing.pub -rawin -in manifest.json -sigfile manifest.sig`.
 */

/** Writes `<out>.key` (private, mode 0600) and `<out>.pub`; refuses to overwrite either. */
export function generateSigningKeys(out: string): { privateKeyFile: string; publicKeyFile: string; fingerprint: string } {
  const privateKeyFile = `${out}.key`;
  const publicKeyFile = `${out}.pub`;
  for (const file of [privateKeyFile, publicKeyFile]) {
    if (existsSync(file)) throw new UsageError(`${file} already exists; choose another --out or move it away (keys are never overwritten)`);
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(privateKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }), { flag: 'wx' });
  return { privateKeyFile, publicKeyFile, fingerprint: publicKeyFingerprint(publicKey) };
}

/** Reads an Ed25519 private key from a PEM file; the error names the file, never its content. */
export function loadPrivateKey(file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file));
  } catch (error) {
    throw new UsageError(`--key ${file}: not a readable PEM private key (${(error as NodeJS.ErrnoException).code ?? 'unparseable'}); create one with \`annexa keys generate\``);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new UsageError(`--key ${file}: expected an Ed25519 key, found ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

/** Reads an Ed25519 public key from a PEM file. */
export function loadPublicKey(file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(readFileSync(file));
  } catch (error) {
    throw new UsageError(`--public-key ${file}: not a readable PEM public key (${(error as NodeJS.ErrnoException).code ?? 'unparseable'})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new UsageError(`--public-key ${file}: expected an Ed25519 key, found ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

/** Ed25519 signature (64 raw bytes) over exact bytes. */
export function signBytes(privateKey: KeyObject, data: Uint8Array): Buffer {
  return sign(null, data, privateKey);
}

/** Whether a signature over exact bytes verifies under a public key. */
export function verifyBytes(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  return verify(null, data, publicKey, signature);
}

/** sha256 of the DER public key, to name the key that signed without shipping anything secret. */
export function publicKeyFingerprint(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return `sha256:${sha256Hex(publicKey.export({ type: 'spki', format: 'der' }))}`;
}
