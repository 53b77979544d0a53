/**
 * Restoring a NAR into the filesystem (Node only), like `nix-store --restore`.
 *
 * The destination must not exist. Every name comes from the grammar, which refuses `.`, `..`,
 * `/` and NUL, so nothing is written outside the destination; files are created with
 * `O_EXCL | O_NOFOLLOW` and directories with `mkdir`, so nothing existing (in particular no
 * symlink created earlier) is ever followed or overwritten. Files get mode 0666 and, when
 * executable, `| 0111` (both under the umask), as Nix does. On failure a
 * {@link NarRestoreError} says what was left behind.
 *
 * @module
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  symlinkSync,
  writeSync,
} from "node:fs";
import type { ByteInput } from "../codecs/byte-reader.js";
import { isNixCompatError, NixCompatError } from "../core/errors.js";
import { readNarFast as readNar } from "../nar/nar-reader-fast.js";
import type { NarReadOptions } from "../nar/reader.js";

/** Why a restore stopped, and what it left on disk. */
export class NarRestoreError extends NixCompatError {
  /** The destination, left incomplete (or absent when nothing was created). */
  readonly destination: string;
  /** Number of files, directories and symlinks created before the failure. */
  readonly created: number;

  constructor(destination: string, created: number, cause: unknown) {
    const inner = cause instanceof Error ? cause.message : String(cause);
    const left =
      created === 0
        ? "nothing was created"
        : `'${destination}' was left incomplete with ${created} entries: remove it`;
    super(
      isNixCompatError(cause) ? cause.code : "nar.restore-failed",
      `${inner} (restore stopped; ${left})`,
      {
        ...(isNixCompatError(cause) ? cause.position : {}),
        cause,
      },
    );
    this.destination = destination;
    this.created = created;
  }

  override get truncated(): boolean {
    return isNixCompatError(this.cause) && this.cause.truncated;
  }
}

const CREATE_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const SLASH = Buffer.from("/");

function writeAll(fd: number, chunk: Uint8Array): void {
  let off = 0;
  while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
}

/** Options of {@link restoreNar}. */
export interface RestoreOptions extends NarReadOptions {
  /** Called after each entry is created, with the running counts (for progress reports). */
  readonly onProgress?: (progress: { entries: number; bytes: number }) => void;
}

/** Restores the NAR read from `input` as `destination`, which must not exist. */
export async function restoreNar(
  input: ByteInput,
  destination: string,
  options: RestoreOptions = {},
): Promise<void> {
  const onProgress = options.onProgress;
  let bytes = 0;
  let exists = true;
  try {
    lstatSync(destination);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    exists = false;
  }
  if (exists) {
    throw new NixCompatError("nar.destination-exists", `'${destination}' already exists`);
  }
  const dest = Buffer.from(destination);
  // dirs[i] is the path of the open directory at depth i (dirs[0] the destination itself)
  const dirs: Buffer[] = [];
  let created = 0;
  try {
    for await (const node of readNar(input, options)) {
      const depth = node.segmentBytes.length;
      const p =
        depth === 0
          ? dest
          : Buffer.concat([dirs[depth - 1]!, SLASH, node.segmentBytes[depth - 1]!]);
      if (node.type === "directory") {
        mkdirSync(p, 0o777);
        dirs[depth] = p;
        created++;
      } else if (node.type === "symlink") {
        symlinkSync(Buffer.from(node.targetBytes), p);
        created++;
      } else {
        const fd = openSync(p, CREATE_FLAGS, 0o666);
        created++;
        try {
          const whole = node.takeBuffered?.();
          if (whole !== undefined) writeAll(fd, whole);
          else for await (const chunk of node.contents) writeAll(fd, chunk);
          bytes += node.size;
          if (node.executable) fchmodSync(fd, fstatSync(fd).mode | 0o111);
        } finally {
          closeSync(fd);
        }
      }
      onProgress?.({ entries: created, bytes });
    }
  } catch (e) {
    throw new NarRestoreError(destination, created, e);
  }
}
