/**
 * `Sig` values as Nix 2.8 reads them: `NAME:BASE64` where the base64 is read by Nix's
 * lenient decoder (`base64DecodeAsNix`: no padding needed, text after the first `=` ignored,
 * leftover bits dropped). Nix 2.8 keeps the string and decodes it when verifying, so such a
 * signature verifies; the narinfo parser keeps its spelling to print it back.
 *
 * @module
 */
import { base64DecodeAsNix } from "../core/base64.js";
import { SIGNATURE_SIZE, type Signature } from "./keys.js";

/**
 * A `Sig` value as Nix 2.8 reads it: the key name before the first `:`, then base64 read by
 * Nix's decoder (see `base64DecodeAsNix`), which must give 64 bytes; `undefined` otherwise.
 */
export function signatureAsNix(value: string): Signature | undefined {
  const colon = value.indexOf(":");
  if (colon <= 0) return undefined;
  try {
    const sig = base64DecodeAsNix(value.slice(colon + 1));
    return sig.length === SIGNATURE_SIZE ? { keyName: value.slice(0, colon), sig } : undefined;
  } catch {
    return undefined;
  }
}

/** True if two signatures have the same key name and bytes. */
export function sameSignature(a: Signature | undefined, b: Signature): boolean {
  if (a === undefined || a.keyName !== b.keyName || a.sig.length !== b.sig.length) return false;
  return a.sig.every((x, i) => x === b.sig[i]);
}
