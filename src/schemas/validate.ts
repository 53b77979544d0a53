/**
 * Validating JSON documents with zod, the library's way: every problem at once, each with its
 * JSON path, as data (like zod's own issues) and in one readable message.
 *
 * @module
 */
import type { z } from "zod";
import { clipInput, formatJsonPath, ValidationError } from "../core/errors.js";

/** One problem found in a JSON document. */
export interface JsonIssue {
  /** Where: a JSON path such as `["outputs", "out", "path"]`. */
  readonly path: readonly (string | number)[];
  /** What was expected / what is wrong. */
  readonly message: string;
  /** zod's issue code (`invalid_type`, `custom`, ...). */
  readonly code: string;
}

/** A JSON document failed validation. `issues` lists every problem with its path. */
export class JsonValidationError extends ValidationError {
  /** Every problem found. */
  readonly issues: readonly JsonIssue[];

  constructor(issues: readonly JsonIssue[], options: { file?: string } = {}) {
    // The position is the path every issue is under: one issue's own path, or the common
    // prefix of several (the message lists each issue's full path after it).
    const common = commonPrefix(issues.map((i) => i.path));
    const detail =
      issues.length === 1
        ? issues[0]!.message
        : `${issues.length} problems:\n  ${issues.map((i) => `${formatJsonPath(i.path)}: ${i.message}`).join("\n  ")}`;
    super("json.invalid", detail, { ...options, path: common });
    this.issues = issues;
  }
}

function commonPrefix(paths: readonly (readonly (string | number)[])[]): (string | number)[] {
  const first = paths[0] ?? [];
  let n = first.length;
  for (const p of paths) {
    let i = 0;
    while (i < n && i < p.length && p[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n);
}

/** Converts zod issues into {@link JsonIssue}s. */
export function toJsonIssues(error: z.ZodError): JsonIssue[] {
  return error.issues.map((i) => ({
    path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)),
    // zod quotes input in some messages (unrecognized keys, invalid values): cut it
    message: clipInput(i.message, 300),
    code: i.code,
  }));
}

/**
 * Validates `value` against `schema`; returns the parsed value or throws a
 * {@link JsonValidationError} listing every problem.
 */
export function parseWithSchema<S extends z.ZodType>(
  schema: S,
  value: unknown,
  options: { file?: string } = {},
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new JsonValidationError(toJsonIssues(result.error), options);
}

/** Like {@link parseWithSchema} but returns the issues instead of throwing. */
export function checkWithSchema<S extends z.ZodType>(
  schema: S,
  value: unknown,
): { ok: true; value: z.output<S> } | { ok: false; issues: JsonIssue[] } {
  const result = schema.safeParse(value);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, issues: toJsonIssues(result.error) };
}
