/**
 * The fingerprint Nix signs, and signing and verifying narinfos with it.
 *
 * ```text
 * fingerprint = "1;" store-path ";" nar-hash ";" nar-size ";" references
 * store-path  = absolute path, e.g. /nix/store/<hash>-<name>
 * nar-hash    = "sha256:" nix32 digest (whatever encoding the narinfo used)
 * nar-size    = decimal
 * references  = absolute store paths joined by ",", SORTED (Nix keeps them in a set)
 * ```
 *
 * Deriver, CA, URL, compression and file hash/size are not signed.
 *
 * @module
 */
import { formatHash, type Hash } from "../core/hash.js";
import { DEFAULT_STORE_DIR, type StorePath } from "../core/store-path.js";
import {
  type PublicKey,
  type SecretKey,
  type Signature,
  signDetached,
  verifyDetached,
} from "../signing/keys.js";
import type { NarInfo } from "./types.js";

/** Options for fingerprint, sign and verify. */
export interface FingerprintOptions {
  /** Store directory, default `/nix/store`. */
  readonly storeDir?: string;
}

/**
 * The fingerprint of a store object (Nix's `ValidPathInfo::fingerprint`): references are
 * sorted by base name whatever order they are given in.
 */
export function fingerprintPath(
  storePath: StorePath,
  narHash: Hash,
  narSize: number,
  references: readonly StorePath[],
  options: FingerprintOptions = {},
): string {
  const dir = options.storeDir ?? DEFAULT_STORE_DIR;
  let refs = references;
  // the first two hash characters decide nearly every pair of sorted neighbours (one
  // character alone ties about half of the time); whole strings are compared only on a tie
  let prevKey = -1;
  for (let i = 0; i < refs.length; i++) {
    const b = refs[i]!;
    const key = (b.hash.charCodeAt(0) << 16) | b.hash.charCodeAt(1);
    if (key < prevKey || (key === prevKey && compareBaseNames(refs[i - 1]!, b) > 0)) {
      refs = [...references].sort((x, y) => compareBaseNames(x, y));
      break;
    }
    prevKey = key;
  }
  let out = `1;${dir}/${storePath.hash}-${storePath.name};${formatHash(narHash, "nix32")};${narSize};`;
  for (let i = 0; i < refs.length; i++) {
    const r = refs[i]!;
    out += i === 0 ? `${dir}/${r.hash}-${r.name}` : `,${dir}/${r.hash}-${r.name}`;
  }
  return out;
}

function compareBaseNames(x: StorePath, y: StorePath): number {
  const a = `${x.hash}-${x.name}`;
  const b = `${y.hash}-${y.name}`;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The fingerprint a narinfo's signatures sign. */
export function narInfoFingerprint(info: NarInfo, options: FingerprintOptions = {}): string {
  return fingerprintPath(info.storePath, info.narHash, info.narSize, info.references, options);
}

/** Signs a narinfo's fingerprint with `secret` and returns the signature. */
export function signNarInfoFingerprint(
  info: NarInfo,
  secret: SecretKey,
  options: FingerprintOptions = {},
): Signature {
  return signDetached(narInfoFingerprint(info, options), secret);
}

/**
 * Returns `info` with one more signature by `secret` (like `nix store sign -k`), after the
 * existing ones. A signature identical to one already there is not added twice.
 */
export function signNarInfo(
  info: NarInfo,
  secret: SecretKey,
  options: FingerprintOptions = {},
): NarInfo {
  const sig = signNarInfoFingerprint(info, secret, options);
  const exists = info.signatures.some(
    (s) =>
      s.keyName === sig.keyName &&
      s.sig.length === sig.sig.length &&
      s.sig.every((b, i) => b === sig.sig[i]),
  );
  return exists ? info : { ...info, signatures: [...info.signatures, sig] };
}

/** The outcome for one signature of a narinfo. */
export interface SignatureCheck {
  /** The signature. */
  readonly signature: Signature;
  /**
   * `valid`: a trusted key of that name verifies it; `invalid`: a trusted key of that name
   * exists but does not verify it; `untrusted`: no trusted key has that name.
   */
  readonly status: "valid" | "invalid" | "untrusted";
}

/** Checks every signature of `info` against the trusted keys (matched by name). */
export function checkNarInfoSignatures(
  info: NarInfo,
  trustedKeys: readonly PublicKey[],
  options: FingerprintOptions = {},
): SignatureCheck[] {
  const fp = new TextEncoder().encode(narInfoFingerprint(info, options));
  return info.signatures.map((signature) => {
    const named = trustedKeys.filter((k) => k.name === signature.keyName);
    if (named.length === 0) return { signature, status: "untrusted" };
    return { signature, status: verifyDetached(fp, signature, named) ? "valid" : "invalid" };
  });
}

/**
 * True if at least one signature of `info` is valid under a trusted key of the same name.
 * Signatures that cannot be checked never count.
 */
export function verifyNarInfo(
  info: NarInfo,
  trustedKeys: readonly PublicKey[],
  options: FingerprintOptions = {},
): boolean {
  return checkNarInfoSignatures(info, trustedKeys, options).some((c) => c.status === "valid");
}
