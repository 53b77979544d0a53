/**
 * The errors of the binary-cache area: compressed data that is corrupt or cut short, a
 * compression method we cannot run here, a cache that answers badly, and a NAR whose bytes do
 * not match what its narinfo promised.
 *
 * Codes are `cache.*`; positions are byte offsets into the compressed file (`offset`) where
 * one is known.
 *
 * @module
 */
import {
  MalformedInputError,
  NixCompatError,
  type NixCompatErrorOptions,
  TruncatedInputError,
  UsageError,
} from "../core/errors.js";

/** Compressed data the decoder refused (`cache.compressed-data-corrupt`, `cache.trailing-data`). */
export class CompressedDataError extends MalformedInputError {}

/** Compressed data that ended before its stream was complete (`cache.compressed-data-truncated`). */
export class CompressedDataTruncatedError extends TruncatedInputError {}

/**
 * A compression method that is unknown (`cache.unknown-compression`) or has no codec in this
 * runtime (`cache.compression-unsupported`, e.g. brotli where neither `DecompressionStream`
 * nor `node:zlib` has it, or bzip2 compression).
 */
export class CompressionUnsupportedError extends UsageError {}

/**
 * A cache answered with an HTTP status other than success (`cache.http-status`), or a
 * `file://` cache file could not be read (`cache.file-unreadable`). `status` is the HTTP
 * status (404 for a missing file).
 */
export class CacheResponseError extends NixCompatError {
  /** The HTTP status (404 for a `file://` file that does not exist). */
  readonly status: number;
  /** The URL that was fetched. */
  readonly url: string;

  constructor(
    code: string,
    detail: string,
    status: number,
    url: string,
    options: NixCompatErrorOptions = {},
  ) {
    super(code, detail, options);
    this.status = status;
    this.url = url;
  }
}

/**
 * What a cache served does not match its narinfo: `cache.file-size-mismatch`,
 * `cache.file-hash-mismatch` (the compressed file), `cache.nar-size-mismatch`,
 * `cache.nar-hash-mismatch` (the NAR), `cache.listing-mismatch`; or a narinfo that is not the
 * one asked for (`cache.narinfo-path-mismatch`), or whose signatures no trusted key made
 * (`cache.untrusted-signature`). Nothing of such a NAR is handed on as valid.
 */
export class CacheIntegrityError extends MalformedInputError {}

/** A `nix-cache-info` file that cannot be read (`cache.malformed-cache-info`), with its line. */
export class CacheInfoError extends MalformedInputError {}

/** A `.ls` listing that is not the JSON Nix writes (`cache.malformed-listing`). */
export class CacheListingError extends MalformedInputError {}
