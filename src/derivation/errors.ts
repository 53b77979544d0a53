/**
 * Errors of the ATerm grammar and of derivations.
 *
 * | class | extends | codes |
 * |---|---|---|
 * | {@link ATermSyntaxError} | MalformedInputError | `aterm.unexpected`, `aterm.bad-escape`, `aterm.trailing-bytes`, `aterm.invalid-utf8` |
 * | {@link ATermTruncatedError} | TruncatedInputError | `aterm.truncated` |
 * | {@link DerivationFormatError} | MalformedInputError | `derivation.duplicate-*`, `derivation.invalid-store-path`, `derivation.invalid-output`, `derivation.unknown-version`, ... |
 * | {@link DerivationLimitError} | LimitExceededError | `derivation.dynamic-outputs-too-deep` |
 * | {@link DerivationValidationError} | ValidationError | `derivation.no-outputs`, `derivation.invalid-output-name`, ... (the rules of {@link validateDerivation}), `derivation.wrong-output-path`, `derivation.wrong-env-var`, `derivation.wrong-drv-path` (consistency) |
 *
 * @module
 */
import {
  LimitExceededError,
  MalformedInputError,
  type NixCompatErrorOptions,
  TruncatedInputError,
  ValidationError,
} from "../core/errors.js";

/** The ATerm text is wrong at a byte offset (a bad token, a bad escape, trailing bytes ...). */
export class ATermSyntaxError extends MalformedInputError {}

/** The ATerm text ended before the term was complete. */
export class ATermTruncatedError extends TruncatedInputError {
  constructor(
    code = "aterm.truncated",
    detail = "unexpected end of input",
    options: NixCompatErrorOptions = {},
  ) {
    super(code, detail, options);
  }
}

/** The ATerm is well-formed but is not a derivation Nix would read (duplicates, bad paths, bad hashes ...). */
export class DerivationFormatError extends MalformedInputError {}

/** A derivation goes beyond one of the limits of `limits.ts` (e.g. dynamic outputs nested too deep). */
export class DerivationLimitError extends LimitExceededError {}

/** A derivation breaks one of Nix's rules (see `validateDerivation`). */
export class DerivationValidationError extends ValidationError {}
