/**
 * The git object id of a filesystem path (Node only): what modern Nix's
 * `nix hash path --mode git` prints and what its `git` ingestion method hashes. Symlinks are
 * not followed; a file is executable when its owner's x bit is set (as git and NAR); names are
 * raw bytes. Files are hashed as they are read, never held whole.
 *
 * @module
 */
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from "node:fs";
import { readBuffer } from "./read-buffer.js";
import { MalformedInputError } from "../core/errors.js";
import {
  checkGitHashAlgorithm,
  encodeGitBlob,
  encodeGitTree,
  type GitEntryMode,
  type GitHashAlgorithm,
  gitObjectHash,
  gitObjectHeader,
} from "../core/git.js";
import { createHasher } from "../core/hasher.js";

/** Size of the read buffer for file contents. */
export const GIT_HASH_BUFFER_SIZE = 1 << 17;

let shared: Uint8Array | undefined;

function blobOfFile(path: Buffer, size: number, algorithm: GitHashAlgorithm): Uint8Array {
  shared ??= readBuffer(GIT_HASH_BUFFER_SIZE);
  const buf = shared;
  const h = createHasher(algorithm).update(gitObjectHeader("blob", size));
  const fd = openSync(path, "r");
  let total = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      h.update(n === buf.length ? buf : buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  if (total !== size) {
    throw new MalformedInputError(
      "git.file-changed",
      `file '${path.toString()}' changed size while it was hashed`,
    );
  }
  return h.digest();
}

function hashObject(
  path: Buffer,
  algorithm: GitHashAlgorithm,
): { mode: GitEntryMode; hash: Uint8Array } {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) {
    const target = readlinkSync(path, { encoding: "buffer" });
    return { mode: "symlink", hash: gitObjectHash(algorithm, encodeGitBlob(target)).digest };
  }
  if (st.isFile()) {
    const mode = st.mode & 0o100 ? "executable" : "regular";
    return { mode, hash: blobOfFile(path, st.size, algorithm) };
  }
  if (st.isDirectory()) {
    const names = readdirSync(path, { encoding: "buffer" });
    const entries = names.map((name) => ({
      name: new Uint8Array(name),
      ...hashObject(Buffer.concat([path, Buffer.from("/"), name]), algorithm),
    }));
    return { mode: "directory", hash: gitObjectHash(algorithm, encodeGitTree(entries)).digest };
  }
  throw new MalformedInputError(
    "git.unsupported-file-type",
    `file '${path.toString()}' has an unsupported type`,
  );
}

/**
 * The git object id (blob or tree) of the file, symlink or directory at `path`, with sha1
 * (default, as Nix) or sha256.
 */
export function gitHashPath(
  path: string | Uint8Array,
  algorithm: GitHashAlgorithm = "sha1",
): Uint8Array {
  checkGitHashAlgorithm(algorithm);
  return hashObject(Buffer.from(path), algorithm).hash;
}
