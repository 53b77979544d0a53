/**
 * Access to `../shared` (fixtures shared between projects). Tests that need it use
 * {@link describeWithShared}, which skips with a visible message when it is absent.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe } from "vitest";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Absolute path of the repository root. */
export const REPO_ROOT = repoRoot;

/** Absolute path of `../shared` (override with NIX_COMPAT_SHARED). */
export const SHARED_DIR = process.env.NIX_COMPAT_SHARED ?? resolve(repoRoot, "..", "shared");

/** True when the shared material is present. */
export const hasShared = existsSync(SHARED_DIR);

/** Path inside `../shared`. */
export function sharedPath(...parts: string[]): string {
  return join(SHARED_DIR, ...parts);
}

/** Path inside the repository's own `fixtures/`. */
export function fixturePath(...parts: string[]): string {
  return join(repoRoot, "fixtures", ...parts);
}

let warned = false;

/** `describe` for tests over `../shared`: skipped visibly when it is absent. */
export function describeWithShared(name: string, fn: () => void): void {
  if (!hasShared && !warned) {
    warned = true;
    process.stderr.write(
      `\n*** ${SHARED_DIR} is absent: tests over shared fixtures are SKIPPED. ***\n\n`,
    );
  }
  describe.skipIf(!hasShared)(name, fn);
}
