/**
 * The errors of the ATerm grammar: the text is wrong at a byte offset, or it ended early.
 *
 * | class | extends | codes |
 * |---|---|---|
 * | {@link ATermSyntaxError} | MalformedInputError | `aterm.unexpected`, `aterm.bad-escape`, `aterm.trailing-bytes`, `aterm.invalid-utf8` |
 * | {@link ATermTruncatedError} | TruncatedInputError | `aterm.truncated` |
 *
 * @module
 */
import {
  MalformedInputError,
  type NixCompatErrorOptions,
  TruncatedInputError,
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
