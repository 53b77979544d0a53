/**
 * Errors of the cache server: uploads refused (a NAR or narinfo that does not hold together,
 * one too large) and store failures while serving.
 *
 * @module
 */
import { LimitExceededError, ValidationError } from "../core/errors.js";

/**
 * An upload was refused: a NAR whose bytes do not match its name or its narinfo, a narinfo
 * naming a NAR that was not uploaded, a malformed `nix-cache-info`. Nothing of it is kept.
 * Codes: `cache.upload-*`.
 */
export class CacheUploadError extends ValidationError {}

/** An upload is larger than the store accepts (`cache.upload-too-large`). */
export class CacheUploadTooLargeError extends LimitExceededError {}
