/**
 * `.narinfo` files: parse (with the exact text kept), print, normalise, fingerprint, sign and
 * verify.
 *
 * @module
 */
export { NarInfoError, parseNarInfo, type ParseNarInfoOptions } from "./parse.js";
export { formatNarInfoContentAddress, printNarInfo, type PrintNarInfoOptions } from "./print.js";
export {
  type NarInfoQuirk,
  narInfoQuirks,
  normaliseNarInfo,
  type NormaliseOptions,
} from "./quirks.js";
export {
  checkNarInfoSignatures,
  type FingerprintOptions,
  fingerprintPath,
  narInfoFingerprint,
  type SignatureCheck,
  signNarInfo,
  signNarInfoFingerprint,
  verifyNarInfo,
} from "./signatures.js";
export {
  CANONICAL_QUIRKS,
  DEFAULT_COMPRESSION,
  effectiveCompression,
  MAX_NARINFO_SIZE,
  type NarInfo,
  NARINFO_KEYS,
  type NarInfoQuirks,
  type NarInfoUnknownField,
} from "./types.js";
