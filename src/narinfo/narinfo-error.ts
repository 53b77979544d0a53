/**
 * The error every narinfo is refused with.
 *
 * @module
 */
import { MalformedInputError, type NixCompatErrorOptions } from "../core/errors.js";

/**
 * Every error a narinfo (syntax or meaning) is refused with; `code` starts with `narinfo.`.
 * Made from the grammar's refusal (src/grammar/narinfo.ts): the rule, what it expected
 * ({@link NarInfoError.expected}) and where (line, column, byte offset).
 */
export class NarInfoError extends MalformedInputError {
  /** What the grammar expected where it stopped (empty when not made by the grammar). */
  readonly expected: readonly string[];

  constructor(
    code: string,
    detail: string,
    options: NixCompatErrorOptions = {},
    expected: readonly string[] = [],
  ) {
    super(code, detail, { rule: "narinfo", ...options });
    this.expected = expected;
  }
}
