/**
 * Validating JSON documents with zod, the library's way: every problem at once, each with its
 * JSON path, as data (like zod's own issues) and in one readable message.
 *
 * @module
 */
import type { z } from "zod";
import { formatJsonPath, ValidationError } from "../core/errors.js";

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
    const first = issues[0];
    const lines = issues.map((i) => `${formatJsonPath(i.path)}: ${i.message}`);
    // One problem: its path is the error's position (printed once, before the detail). Several:
    // each line names its own path, and the position has none (it would repeat the first).
    super(
      "json.invalid",
      issues.length === 1
        ? (first?.message ?? "")
        : `${issues.length} problems:\n  ${lines.join("\n  ")}`,
      issues.length === 1 ? { ...options, path: first?.path ?? [] } : options,
    );
    this.issues = issues;
  }
}

/** Converts zod issues into {@link JsonIssue}s. */
export function toJsonIssues(error: z.ZodError): JsonIssue[] {
  return error.issues.map((i) => ({
    path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)),
    message: i.message,
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
