/**
 * Git object hashing, as modern Nix's `git` file-ingestion method has it (`git-hashing`
 * feature): a regular file or symlink is a git blob, a directory a git tree, and the hash of
 * a file system object is the git object id (sha1 or sha256) of its root.
 *
 * ```text
 * object = kind " " decimal(body length) NUL body          kind = "blob" | "tree"
 * blob   = the file's bytes, or the symlink's target
 * tree   = { mode " " name NUL hash-bytes }                 raw digest, 20 or 32 bytes
 * mode   = "100644" regular | "100755" executable | "120000" symlink | "40000" directory
 * ```
 *
 * Tree entries are sorted as git sorts them: by name bytes, a directory's name compared as if
 * it ended with `/`. A name is non-empty and holds neither `/` nor NUL, and is not `.` or `..`.
 * (`git mktree` listings write the directory mode as `040000`; the object holds `40000`.)
 *
 * @module
 */
import { concatBytes } from "./bytes.js";
import { MalformedInputError, TruncatedInputError } from "./errors.js";
import type { Hash } from "./hash.js";
import { HASH_SIZES } from "./hash-algorithm.js";
import { createHasher } from "./hasher.js";

/** The hash algorithms git objects are named with. */
export type GitHashAlgorithm = "sha1" | "sha256";

/** How a tree entry is kept: the git modes Nix uses. */
export type GitEntryMode = "regular" | "executable" | "symlink" | "directory";

/** The mode text of each kind of entry inside a tree object. */
export const GIT_MODES: Readonly<Record<GitEntryMode, string>> = {
  regular: "100644",
  executable: "100755",
  symlink: "120000",
  directory: "40000",
};

/** One entry of a git tree: name (bytes or text), mode and the raw object id. */
export interface GitTreeEntry {
  readonly name: Uint8Array | string;
  readonly mode: GitEntryMode;
  readonly hash: Uint8Array;
}

/** Error for a git object this module cannot encode or read. */
export class GitObjectError extends MalformedInputError {}

/** Error for a git object cut short. */
export class GitObjectTruncatedError extends TruncatedInputError {}

const utf8 = new TextEncoder();
const bytesOf = (s: Uint8Array | string): Uint8Array =>
  typeof s === "string" ? utf8.encode(s) : s;

/** True if `algorithm` names git objects (sha1 or sha256). */
export function isGitHashAlgorithm(algorithm: string): algorithm is GitHashAlgorithm {
  return algorithm === "sha1" || algorithm === "sha256";
}

/** Throws unless `algorithm` is sha1 or sha256 (Nix: "Git file ingestion must use SHA-1 or SHA-256"). */
export function checkGitHashAlgorithm(algorithm: string): GitHashAlgorithm {
  if (isGitHashAlgorithm(algorithm)) return algorithm;
  throw new GitObjectError(
    "git.algorithm",
    `Git file ingestion must use SHA-1 or SHA-256 hash, but instead using: ${algorithm}`,
  );
}

/** The header `kind SP length NUL` that starts every git object. */
export function gitObjectHeader(kind: "blob" | "tree", bodyLength: number): Uint8Array {
  return utf8.encode(`${kind} ${bodyLength}\0`);
}

/** The whole blob object (header and contents) of a file's bytes or a symlink's target. */
export function encodeGitBlob(contents: Uint8Array | string): Uint8Array {
  const body = bytesOf(contents);
  return concatBytes([gitObjectHeader("blob", body.length), body]);
}

function checkName(name: Uint8Array): void {
  const bad =
    name.length === 0 ||
    name.includes(0x2f) ||
    name.includes(0) ||
    (name.length === 1 && name[0] === 0x2e) ||
    (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e);
  if (bad) {
    throw new GitObjectError(
      "git.invalid-name",
      `invalid git tree entry name ${JSON.stringify(new TextDecoder().decode(name))}`,
    );
  }
}

/** Compares names as git orders tree entries (a directory's name as if it ended with `/`). */
function compareEntries(a: Uint8Array, aDir: boolean, b: Uint8Array, bDir: boolean): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  const ca = a.length > n ? a[n]! : aDir ? 0x2f : -1;
  const cb = b.length > n ? b[n]! : bDir ? 0x2f : -1;
  return ca - cb;
}

/** The whole tree object (header and entries, sorted as git sorts them). */
export function encodeGitTree(entries: readonly GitTreeEntry[]): Uint8Array {
  const items = entries.map((e) => ({ e, name: bytesOf(e.name), dir: e.mode === "directory" }));
  for (const { name } of items) checkName(name);
  items.sort((x, y) => compareEntries(x.name, x.dir, y.name, y.dir));
  const parts: Uint8Array[] = [];
  for (let i = 0; i < items.length; i++) {
    const { e, name } = items[i]!;
    if (i > 0 && compareEntries(items[i - 1]!.name, false, name, false) === 0) {
      throw new GitObjectError("git.duplicate-name", "duplicate git tree entry name");
    }
    parts.push(utf8.encode(`${GIT_MODES[e.mode]} `), name, new Uint8Array([0]), e.hash);
  }
  const body = concatBytes(parts);
  return concatBytes([gitObjectHeader("tree", body.length), body]);
}

const MODE_OF: ReadonlyMap<string, GitEntryMode> = new Map(
  Object.entries(GIT_MODES).map(([k, v]) => [v, k as GitEntryMode]),
);

/**
 * Reads a tree object (header and entries) whose object ids have `algorithm`'s size. Throws
 * {@link GitObjectError} (malformed) or {@link GitObjectTruncatedError} with the byte offset.
 */
export function decodeGitTree(bytes: Uint8Array, algorithm: GitHashAlgorithm): GitTreeEntry[] {
  const size = HASH_SIZES[algorithm];
  const nul = bytes.indexOf(0);
  if (nul < 0)
    throw new GitObjectTruncatedError("git.truncated", "git object header has no NUL", {
      offset: bytes.length,
    });
  const header = new TextDecoder().decode(bytes.subarray(0, nul));
  const m = /^tree (0|[1-9][0-9]*)$/.exec(header);
  if (m === null) {
    throw new GitObjectError("git.invalid-header", `expected 'tree LENGTH', got '${header}'`, {
      offset: 0,
    });
  }
  const end = nul + 1 + Number(m[1]);
  if (end > bytes.length) {
    throw new GitObjectTruncatedError(
      "git.truncated",
      `tree object ends at byte ${bytes.length}, its header says ${end}`,
      { offset: bytes.length },
    );
  }
  if (end < bytes.length) {
    throw new GitObjectError("git.trailing-data", "bytes after the tree object", { offset: end });
  }
  const out: GitTreeEntry[] = [];
  let at = nul + 1;
  while (at < end) {
    const space = bytes.indexOf(0x20, at);
    const zero = bytes.indexOf(0, at);
    if (space < 0 || zero < 0 || zero + 1 + size > end) {
      throw new GitObjectTruncatedError("git.truncated", "tree entry cut short", { offset: at });
    }
    const mode = MODE_OF.get(new TextDecoder().decode(bytes.subarray(at, space)));
    if (mode === undefined || space > zero) {
      throw new GitObjectError(
        "git.invalid-mode",
        "expected a tree entry mode (100644, 100755, 120000 or 40000)",
        { offset: at },
      );
    }
    const name = bytes.slice(space + 1, zero);
    checkName(name);
    out.push({ name, mode, hash: bytes.slice(zero + 1, zero + 1 + size) });
    at = zero + 1 + size;
  }
  return out;
}

/** The object id of a whole git object (header included). */
export function gitObjectHash(algorithm: GitHashAlgorithm, object: Uint8Array): Hash {
  return { algorithm, digest: createHasher(algorithm).update(object).digest() };
}
