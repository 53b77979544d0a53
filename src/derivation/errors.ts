/**
 * Errors of derivations, and those of the ATerm grammar (defined in `src/grammar/aterm-errors.ts`,
 * re-exported here).
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
import { LimitExceededError, MalformedInputError, ValidationError } from "../core/errors.js";

export { ATermSyntaxError, ATermTruncatedError } from "../grammar/aterm-errors.js";

/** The ATerm is well-formed but is not a derivation Nix would read (duplicates, bad paths, bad hashes ...). */
export class DerivationFormatError extends MalformedInputError {}

/** A derivation goes beyond one of the limits of `limits.ts` (e.g. dynamic outputs nested too deep). */
export class DerivationLimitError extends LimitExceededError {}

/** A derivation breaks one of Nix's rules (see `validateDerivation`). */
export class DerivationValidationError extends ValidationError {}
