/**
 * Nix's ed25519 keys and signatures, in the text forms Nix reads and writes.
 *
 * ```text
 * signature  = key-name ":" base64(64 bytes)       the "Sig:" lines of a narinfo
 * public-key = key-name ":" base64(32 bytes)       trusted-public-keys, nix key convert-secret-to-public
 * secret-key = key-name ":" base64(64 bytes)       nix key generate-secret: seed (32) ‖ public key (32)
 * key-name   = 1* any character except ":"       everything up to the first ":"
 * ```
 *
 * The secret key layout is libsodium's (what Nix stores): the 32-byte seed followed by the
 * 32-byte public key. Parsing a secret key checks that its second half is the public key of
 * its first half, so a corrupted key is refused instead of producing signatures nobody can
 * verify.
 *
 * Cryptography is `@noble/ed25519` (portable, synchronous once SHA-512 is wired in here).
 * Verification uses the strict RFC 8032 rules (`zip215: false`), close to libsodium's
 * `crypto_sign_verify_detached` that Nix calls.
 *
 * @module
 */
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { base64Decode, base64Encode } from "../core/base64.js";
import { MalformedInputError, type NixCompatErrorOptions, quoteInput } from "../core/errors.js";

/** Bytes in an ed25519 signature. */
export const SIGNATURE_SIZE = 64;
/** Bytes in an ed25519 public key. */
export const PUBLIC_KEY_SIZE = 32;
/** Bytes in a Nix (libsodium) secret key: seed then public key. */
export const SECRET_KEY_SIZE = 64;

/** A signature with the name of the key that made it (Nix's signature JSON v2: `keyName`, `sig`). */
export interface Signature {
  /** Name of the signing key, e.g. `cache.nixos.org-1`. */
  readonly keyName: string;
  /** The 64 signature bytes. */
  readonly sig: Uint8Array;
}

/** A named ed25519 public key. */
export interface PublicKey {
  /** Key name, e.g. `cache.nixos.org-1`. */
  readonly name: string;
  /** The 32 key bytes. */
  readonly key: Uint8Array;
}

/** A named ed25519 secret key in Nix's layout (seed ‖ public key, 64 bytes). */
export interface SecretKey {
  /** Key name. */
  readonly name: string;
  /** The 64 key bytes: 32-byte seed, then the 32-byte public key. */
  readonly key: Uint8Array;
}

/**
 * Error for a malformed key or signature. Codes: `signature.missing-name`,
 * `signature.bad-base64`, `signature.wrong-length`, `key.missing-name`, `key.bad-base64`,
 * `key.wrong-length`, `key.mismatched-public-half`.
 */
export class SigningError extends MalformedInputError {}

let sha512Wired = false;
function wireSha512(): void {
  if (!sha512Wired) {
    if (ed.hashes.sha512 === undefined) ed.hashes.sha512 = sha512;
    sha512Wired = true;
  }
}

/**
 * Where the ed25519 arithmetic comes from. The default, {@link nobleEd25519Backend}, is
 * portable; a Node program may install a native one (e.g. on `node:crypto`) with
 * {@link setEd25519Backend} for much faster verification of many signatures.
 */
export interface Ed25519Backend {
  /** Short name for diagnostics and benchmarks. */
  readonly name: string;
  /** The 32-byte public key of a 32-byte seed. */
  publicKey(seed: Uint8Array): Uint8Array;
  /** The 64-byte signature of `message` by the key with this seed and public key. */
  sign(message: Uint8Array, seed: Uint8Array, publicKey: Uint8Array): Uint8Array;
  /**
   * True if `signature` is valid for `message` under `publicKey` (RFC 8032 rules, as
   * libsodium). May throw on malformed input; callers treat that as invalid.
   */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

/** The portable backend, on `@noble/ed25519` with strict (non-ZIP-215) verification. */
export const nobleEd25519Backend: Ed25519Backend = {
  name: "noble",
  publicKey(seed) {
    wireSha512();
    return ed.getPublicKey(seed);
  },
  sign(message, seed) {
    wireSha512();
    return ed.sign(message, seed);
  },
  verify(signature, message, publicKey) {
    wireSha512();
    return ed.verify(signature, message, publicKey, { zip215: false }) === true;
  },
};

let backend: Ed25519Backend = nobleEd25519Backend;

/** Replaces the ed25519 backend for the whole process. */
export function setEd25519Backend(b: Ed25519Backend): void {
  backend = b;
}

/** The ed25519 backend in use. */
export function getEd25519Backend(): Ed25519Backend {
  return backend;
}

/**
 * Splits `name:base64` and decodes the base64. Error messages quote public text (signatures,
 * public keys) cut to {@link quoteInput}'s length; for secret keys (`secret`) they quote
 * nothing but the key name, not even one character of the key.
 */
function splitNamed(
  text: string,
  what: "signature" | "key",
  label: string,
  size: number,
  options: NixCompatErrorOptions,
  secret = false,
): { name: string; bytes: Uint8Array } {
  const shown = secret ? "" : ` ${quoteInput(text)}`;
  const colon = text.indexOf(":");
  if (colon <= 0) {
    throw new SigningError(
      `${what}.missing-name`,
      `${label}${shown} lacks a key name: expected 'NAME:BASE64'`,
      options,
    );
  }
  const name = text.slice(0, colon);
  // Nix 2.8 skips newlines in base64: a key wrapped by `base64` (76-character lines) reads
  const b64 = secret ? text.slice(colon + 1).replaceAll("\n", "") : text.slice(colon + 1);
  const named = secret ? ` ${quoteInput(name)}` : shown;
  let bytes: Uint8Array;
  try {
    bytes = base64Decode(b64);
  } catch (err) {
    const detail =
      err instanceof MalformedInputError
        ? secret
          ? base64Problem(err)
          : err.detail
        : "not base64";
    throw new SigningError(
      `${what}.bad-base64`,
      `${label}${named} is not valid base64 after the key name: ${detail}`,
      options,
    );
  }
  if (bytes.length !== size) {
    throw new SigningError(
      `${what}.wrong-length`,
      `${label}${named} has ${bytes.length} bytes, expected ${size}`,
      options,
    );
  }
  return { name, bytes };
}

/** What is wrong with base64, without quoting any of it. */
function base64Problem(err: MalformedInputError): string {
  if (err.code === "base64.invalid-character" && err.position.index !== undefined) {
    return `invalid character at position ${err.position.index + 1} of the base64`;
  }
  if (err.code === "base64.invalid-length") return "its length is not a multiple of 4";
  if (err.code === "base64.non-zero-padding") return "non-zero bits before the padding";
  return "invalid base64";
}

/** Parses `name:base64` of a 64-byte signature. Throws {@link SigningError}. */
export function parseSignature(text: string, options: NixCompatErrorOptions = {}): Signature {
  const { name, bytes } = splitNamed(text, "signature", "signature", SIGNATURE_SIZE, options);
  return { keyName: name, sig: bytes };
}

/** Prints a signature as `name:base64`. */
export function formatSignature(signature: Signature): string {
  return `${signature.keyName}:${base64Encode(signature.sig)}`;
}

/** Parses a public key `name:base64` (32 bytes). Throws {@link SigningError}. */
export function parsePublicKey(text: string, options: NixCompatErrorOptions = {}): PublicKey {
  const { name, bytes } = splitNamed(text.trim(), "key", "public key", PUBLIC_KEY_SIZE, options);
  return { name, key: bytes };
}

/** Prints a public key as `name:base64`. */
export function formatPublicKey(key: PublicKey): string {
  return `${key.name}:${base64Encode(key.key)}`;
}

/**
 * Parses a secret key as Nix writes it (`name:base64` of 64 bytes; surrounding whitespace,
 * such as the final newline of a key file, is ignored; newlines inside the base64, as
 * `base64` wraps it at 76 characters, are skipped as Nix 2.8 skips them). Throws
 * {@link SigningError}, also when the public half does not belong to the seed; its message
 * never quotes the key itself (only its name).
 */
export function parseSecretKey(text: string, options: NixCompatErrorOptions = {}): SecretKey {
  const { name, bytes } = splitNamed(
    text.trim(),
    "key",
    "secret key",
    SECRET_KEY_SIZE,
    options,
    true,
  );
  const derived = backend.publicKey(bytes.subarray(0, 32));
  if (!bytesEqual(derived, bytes.subarray(32))) {
    throw new SigningError(
      "key.mismatched-public-half",
      `secret key ${quoteInput(name)} is corrupt: its last 32 bytes are not the public key of its first 32`,
      options,
    );
  }
  return { name, key: bytes };
}

/** Prints a secret key as `name:base64` (the form `nix key generate-secret` prints). */
export function formatSecretKey(key: SecretKey): string {
  return `${key.name}:${base64Encode(key.key)}`;
}

/** Throws {@link SigningError} (`key.missing-name`) if `name` cannot name a key. */
export function validateKeyName(name: string): void {
  if (name.length === 0 || name.includes(":") || /[\r\n]/.test(name)) {
    throw new SigningError(
      "key.missing-name",
      `invalid key name ${quoteInput(name)}: it must be non-empty, without ':' or newlines`,
    );
  }
}

/**
 * Generates a new secret key named `name` (like `nix key generate-secret --key-name NAME`).
 * `seed` (32 bytes) makes it deterministic; by default it comes from `crypto.getRandomValues`.
 */
export function generateSecretKey(name: string, seed?: Uint8Array): SecretKey {
  validateKeyName(name);
  wireSha512();
  const s = seed ?? ed.utils.randomSecretKey();
  if (s.length !== 32) {
    throw new SigningError("key.wrong-length", `a secret key seed has 32 bytes, got ${s.length}`);
  }
  const key = new Uint8Array(SECRET_KEY_SIZE);
  key.set(s, 0);
  key.set(backend.publicKey(s), 32);
  return { name, key };
}

/** The public key of a secret key (like `nix key convert-secret-to-public`). */
export function publicKeyOf(secret: SecretKey): PublicKey {
  return { name: secret.name, key: secret.key.slice(32, 64) };
}

/** Signs `message` (bytes, or text as UTF-8) with `secret`. */
export function signDetached(message: Uint8Array | string, secret: SecretKey): Signature {
  const bytes = typeof message === "string" ? new TextEncoder().encode(message) : message;
  return {
    keyName: secret.name,
    sig: backend.sign(bytes, secret.key.subarray(0, 32), secret.key.subarray(32, 64)),
  };
}

/**
 * True only if `signature` is a valid ed25519 signature of `message` by a key in `keys` with
 * the signature's key name. Never throws: a signature or key that cannot be checked (wrong
 * size, invalid point) counts as not valid.
 */
export function verifyDetached(
  message: Uint8Array | string,
  signature: Signature,
  keys: readonly PublicKey[],
): boolean {
  if (signature.sig.length !== SIGNATURE_SIZE) return false;
  const bytes = typeof message === "string" ? new TextEncoder().encode(message) : message;
  for (const key of keys) {
    if (key.name !== signature.keyName || key.key.length !== PUBLIC_KEY_SIZE) continue;
    try {
      if (backend.verify(signature.sig, bytes, key.key) === true) return true;
    } catch {
      // an unusable key or signature never verifies
    }
  }
  return false;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
