/**
 * The errors the codec interpreters throw, built on the library's error classes.
 *
 * Codes are `<area>.<what>` where the area is the first segment of the rule name, so the NAR
 * grammar reports `nar.unexpected-token`, `nar.truncated`, `nar.nonzero-padding`, ... Every
 * error carries the byte `offset`, the `rule` and a detail saying what was expected.
 *
 * @module
 */

import {
  LimitExceededError,
  MalformedInputError,
  TruncatedInputError,
  ValidationError,
  MAX_QUOTED_INPUT,
} from "../core/errors.js";
import type { Problem } from "./codec.js";
import { areaOf } from "./codec.js";

/** The input ended inside `rule`. */
export function truncatedError(
  rule: string,
  offset: number,
  expected: string,
): TruncatedInputError {
  return new TruncatedInputError(
    `${areaOf(rule)}.truncated`,
    `input ended early: expected ${expected}`,
    {
      offset,
      rule,
    },
  );
}

/** Bytes present but wrong (`what` is the last part of the code, e.g. `unexpected-token`). */
export function malformedError(
  rule: string,
  offset: number,
  what: string,
  detail: string,
): MalformedInputError {
  return new MalformedInputError(`${areaOf(rule)}.${what}`, detail, { offset, rule });
}

/** A length or count above its limit (`limitName` says which option overrides it). */
export function limitError(
  rule: string,
  offset: number,
  limitName: string,
  max: number,
  got: number | bigint,
): LimitExceededError {
  return new LimitExceededError(
    `${areaOf(rule)}.limit-exceeded`,
    `${got} exceeds the limit ${max} (limit '${limitName}')`,
    { offset, rule },
  );
}

/** A refinement refused a decoded value. */
export function problemError(rule: string, offset: number, problem: Problem): MalformedInputError {
  if (typeof problem === "string") {
    return new MalformedInputError(`${areaOf(rule)}.invalid-value`, problem, { offset, rule });
  }
  return new MalformedInputError(problem.code, problem.detail, { offset, rule });
}

/** A refinement refused a value given to the encoder. */
export function encodeProblemError(rule: string, problem: Problem): ValidationError {
  if (typeof problem === "string") {
    return new ValidationError(`${areaOf(rule)}.invalid-value`, problem, { rule });
  }
  return new ValidationError(problem.code, problem.detail, { rule });
}

/**
 * Quotes a token for messages: printable ASCII as is, others escaped; cut to
 * {@link MAX_QUOTED_INPUT} characters as `quoteInput` cuts input.
 */
export function quote(text: string): string {
  const shown =
    text.length <= MAX_QUOTED_INPUT ? text : `${text.slice(0, MAX_QUOTED_INPUT - 3)}...`;
  return JSON.stringify(shown).replace(/^"|"$/g, "'");
}
