/**
 * The plain forms of the commands whose whole run is short enough for start-up to matter
 * (`nar dump-path`, `nar restore`, `hash path`, `hash file`), run here without loading commander or the other areas (a fair part of start-up, see the bench), and
 * all but `hash file` without the portable hash backends. Anything else — another option,
 * `--help`, a usage error, progress on a terminal — returns `undefined` and goes through the
 * full command tree, which gives the same output for the plain forms (`nar.ts` and `hash.ts`
 * call the same functions).
 *
 * @module
 */
import { type HashAlgorithm, HASH_ALGORITHMS } from "../../core/hash-algorithm.js";
import { nixbase32Encode } from "../../core/nixbase32.js";
import { nodeFs, nodeTty } from "../../node/builtins.js";
import { reportError } from "../errors.js";
import { writeStdoutSync } from "../io.js";
import { rawArgumentBytes } from "../raw-arguments.js";

const ENCODINGS: Record<string, "base16" | "nix32" | "base64" | "sri"> = {
  "--base16": "base16",
  "--base32": "nix32",
  "--base64": "base64",
  "--sri": "sri",
};

/** A digest printed as `nix hash` prints it: SRI with its prefix, other encodings bare. */
export function printedDigest(
  algorithm: HashAlgorithm,
  digest: Uint8Array,
  encoding: "base16" | "nix32" | "base64" | "sri",
): string {
  const b = Buffer.from(digest.buffer, digest.byteOffset, digest.length);
  switch (encoding) {
    case "base16":
      return b.toString("hex");
    case "nix32":
      return nixbase32Encode(digest);
    case "base64":
      return b.toString("base64");
    case "sri":
      return `${algorithm}-${b.toString("base64")}`;
  }
}

/**
 * Whether stderr is a terminal; `node:tty` (a few ms to load) is loaded only when stderr is a
 * character device (a terminal, or `/dev/null`), not for a pipe or a file.
 */
function stderrIsTerminal(): boolean {
  try {
    if (!nodeFs.fstatSync(2).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  return nodeTty().isatty(2);
}

/** Runs `argv` if it is a plain form of a fast command; `undefined` otherwise. */
export async function runPlainForm(argv: readonly string[]): Promise<number | undefined> {
  const [area, command, ...rest] = argv;
  const plain = (a: string | undefined) => a !== undefined && a !== "" && !a.startsWith("-");
  if (area === "nar" && rest.length === 1 && plain(rest[0])) {
    // progress reports on a terminal are the full command's
    if (stderrIsTerminal()) return undefined;
    const path = rawArgumentBytes(rest[0]!);
    if (command === "dump-path") {
      const { dumpPathToStdout } = await import("./nar-dump-stdout.js");
      return run(() => dumpPathToStdout(path));
    }
    if (command === "restore") {
      // (the NAR reader and restore are loaded only here: a dump or hash does without them)
      const { restoreNar } = await import("../../node/nar-restore.js");
      const { fileChunkSource } = await import("../../node/byte-sources.js");
      return run(() => restoreNar(fileChunkSource("-"), path));
    }
    return undefined;
  }
  if (area === "hash" && (command === "path" || command === "file")) {
    let algorithm: HashAlgorithm = "sha256";
    let encoding: "base16" | "nix32" | "base64" | "sri" = "sri";
    const paths: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i]!;
      if (a === "--type" && (HASH_ALGORITHMS as readonly string[]).includes(rest[i + 1] ?? "")) {
        algorithm = rest[++i] as HashAlgorithm;
      } else if (Object.hasOwn(ENCODINGS, a)) encoding = ENCODINGS[a]!;
      else if (plain(a)) paths.push(a);
      else return undefined;
    }
    if (paths.length === 0) return undefined;
    if (command === "file") {
      (await import("../../node/hash-backend.js")).installNodeHashing();
      const { hashFileSync } = await import("../../node/file-hash.js");
      return run(() => {
        for (const path of paths) {
          const digest = hashFileSync(algorithm, path);
          writeStdoutSync(Buffer.from(`${printedDigest(algorithm, digest, encoding)}\n`));
        }
      });
    }
    const { narHashAndSize } = await import("../../node/nar-dump.js");
    return run(async () => {
      for (const path of paths) {
        const { hash } = await narHashAndSize(rawArgumentBytes(path), algorithm);
        writeStdoutSync(Buffer.from(`${printedDigest(algorithm, hash, encoding)}\n`));
      }
    });
  }
  return undefined;
}

async function run(work: () => void | Promise<void>): Promise<number> {
  try {
    await work();
    return 0;
  } catch (err) {
    return reportError(err);
  }
}
