/**
 * Where the tests find their data: the repository's own `fixtures/` (see `fixtures/README.md`
 * for where each set comes from and its licence). Nothing outside the repository is read.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of the repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Path inside the repository's `fixtures/`. */
export function fixturePath(...parts: string[]): string {
  return join(REPO_ROOT, "fixtures", ...parts);
}
