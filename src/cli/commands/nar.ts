/**
 * `nix-compat nar ...`: `dump-path`, `restore`, `ls` and `cat`, with the output of
 * `nix-store --dump`, `nix-store --restore`, `nix nar ls` and `nix nar cat` (Nix 2.8).
 *
 * All of them stream: NARs are never loaded whole, payloads of NAR files are skipped without
 * being read, output is written with synchronous big writes.
 *
 * @module
 */
import type { Command } from "commander";
import { NixCompatError, quoteInput } from "../../core/errors.js";
import {
  listNarSync,
  narListingJsonSync,
  type NarListingDirectory,
  type NarListingNode,
  sortedEntryNames,
} from "../../nar/listing.js";
// the visitor compiled from the NAR declaration: `readNar` without a promise per node
import { visitNarSync } from "../../nar/nar-sync-visitor.js";
import { fileChunkSource } from "../../node/byte-sources.js";
import { restoreNar } from "../../node/nar-restore.js";
import { writeStdoutSync } from "../io.js";
import { rawArgumentBytes } from "../raw-arguments.js";
import { dumpPathToStdout } from "./nar-dump-stdout.js";

/**
 * Progress on stderr for long work, only when stderr is a terminal: at most 4 updates a second,
 * erased when done.
 */
function progressReporter(verb: string): {
  update(entries: number, bytes: number): void;
  done(): void;
} {
  if (!process.stderr.isTTY) return { update() {}, done() {} };
  let last = Date.now();
  let shown = false;
  return {
    update(entries, bytes) {
      const now = Date.now();
      if (now - last < 250) return;
      last = now;
      shown = true;
      const count = entries >= 0 ? `, ${entries} entries` : "";
      process.stderr.write(`\r${verb} ${(bytes / 2 ** 20).toFixed(1)} MiB${count}`);
    },
    done() {
      if (shown) process.stderr.write("\r\x1b[K");
    },
  };
}

/** Writes a binary string (one character per byte) as its bytes. */
function writeBinary(text: string): void {
  writeStdoutSync(Buffer.from(text, "latin1"));
}

/** The raw bytes of command-line argument `arg` as a binary string (one character per byte). */
function rawArgument(arg: string): string {
  return rawArgumentBytes(arg).toString("latin1");
}

function notFound(path: string): never {
  const text = Buffer.from(path, "latin1").toString("utf8");
  throw new NixCompatError("nar.path-not-found", `path ${quoteInput(text)} does not exist`);
}

/**
 * The names of a path inside a NAR, resolved as Nix 2.8 does: `""` is the root (and, for `ls`,
 * `/`); otherwise the path must be absolute and each `/`-separated component is looked up
 * literally (so `/a/`, `//a` and `/./a` do not exist). `path` is a binary string (one
 * character per byte), like the names of the binary listings it is looked up in.
 */
function narPathSegments(path: string, rootSlash: boolean): string[] | undefined {
  if (path === "" || (rootSlash && path === "/")) return [];
  if (!path.startsWith("/")) {
    const text = Buffer.from(path, "latin1").toString("utf8");
    throw new NixCompatError("nar.relative-path", `not an absolute path: ${quoteInput(text)}`);
  }
  const segs = path.slice(1).split("/");
  return segs.some((s) => s === "") ? undefined : segs;
}

function findNode(root: NarListingNode, segs: readonly string[]): NarListingNode | undefined {
  let node: NarListingNode | undefined = root;
  for (const seg of segs) {
    if (node?.type !== "directory" || !Object.hasOwn(node.entries, seg)) return undefined;
    node = node.entries[seg];
  }
  return node;
}

function listText(
  root: NarListingNode,
  path: string,
  recursive: boolean,
  long: boolean,
  showDirectory: boolean,
): void {
  const lines: string[] = [];
  const line = (node: NarListingNode, rel: string) => {
    if (!long) return rel;
    const tp =
      node.type === "regular"
        ? node.executable
          ? "-r-xr-xr-x"
          : "-r--r--r--"
        : node.type === "symlink"
          ? "lrwxrwxrwx"
          : "dr-xr-xr-x";
    const size = node.type === "regular" ? node.size : 0;
    const text = `${tp} ${String(size).padStart(20)} ${rel}`;
    return node.type === "symlink" ? `${text} -> ${node.target}` : text;
  };
  const segs = narPathSegments(path, true);
  const node = (segs && findNode(root, segs)) ?? notFound(path);
  const base = path.slice(path.lastIndexOf("/") + 1);
  const rel = node.type === "directory" ? "." : base;
  if (node.type !== "directory" || showDirectory) {
    lines.push(line(node, rel));
    if (!recursive || node.type !== "directory") {
      writeBinary(`${lines.join("\n")}\n`);
      return;
    }
  }
  // a directory's entries, depth first in NAR order, without recursion (deep NARs are read)
  const stack: { dir: NarListingDirectory; names: string[]; next: number; rel: string }[] = [];
  const enter = (dir: NarListingDirectory, at: string) =>
    stack.push({ dir, names: sortedEntryNames(dir), next: 0, rel: at });
  enter(node as NarListingDirectory, rel);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next === top.names.length) {
      stack.pop();
      continue;
    }
    const name = top.names[top.next++]!;
    const child = top.dir.entries[name]!;
    const childRel = `${top.rel}/${name}`;
    lines.push(line(child, childRel));
    if (recursive && child.type === "directory") enter(child, childRel);
  }
  if (lines.length > 0) writeBinary(`${lines.join("\n")}\n`);
}

/** True when the raw names `bytes` are the binary-string names `segs`. */
function sameSegments(bytes: readonly Uint8Array[], segs: readonly string[]): boolean {
  if (bytes.length !== segs.length) return false;
  for (let i = 0; i < segs.length; i++) {
    const b = bytes[i]!;
    const s = segs[i]!;
    if (b.length !== s.length) return false;
    for (let k = 0; k < b.length; k++) if (b[k] !== s.charCodeAt(k)) return false;
  }
  return true;
}

/** Registers `nar dump-path`, `nar restore`, `nar ls` and `nar cat`. */
export function registerNarCommands(program: Command): void {
  const nar = program.command("nar").description("create, restore and inspect Nix archives (NAR)");

  nar
    .command("dump-path")
    .description("serialise a path to stdout in NAR format (like nix-store --dump)")
    .argument("<path>")
    .action((path: string) => {
      const progress = progressReporter("dumped");
      try {
        dumpPathToStdout(rawArgumentBytes(path), (bytes) => progress.update(-1, bytes));
      } finally {
        progress.done();
      }
    });

  nar
    .command("restore")
    .description("read a NAR on stdin and create DEST from it (like nix-store --restore)")
    .argument("<dest>")
    .action(async (dest: string) => {
      const src = fileChunkSource("-");
      const progress = progressReporter("restored");
      try {
        await restoreNar(src, rawArgumentBytes(dest), {
          onProgress: ({ entries, bytes }) => {
            if ((entries & 255) === 0) progress.update(entries, bytes);
          },
        });
      } finally {
        progress.done();
      }
    });

  nar
    .command("ls")
    .description("show information about a path inside a NAR file")
    .argument("<nar>", "the NAR file, or - for standard input")
    .argument("<path>", "the path inside the NAR")
    .option("-R, --recursive", "list subdirectories recursively")
    .option("-l, --long", "show detailed file information")
    .option("-d, --directory", "show directories rather than their contents")
    .option("--json", "produce output in JSON format")
    .action(
      async (
        file: string,
        path: string,
        opts: { recursive?: boolean; long?: boolean; directory?: boolean; json?: boolean },
      ) => {
        // names are handled as bytes throughout and printed raw, as Nix 2.8 does (in JSON too)
        path = rawArgument(path);
        const segs = narPathSegments(path, true);
        const src = fileChunkSource(file);
        try {
          if (opts.json) {
            // JSON straight from the stream: no listing tree (a 200,000-entry directory
            // would otherwise cost a dictionary object and a sort)
            const json = narListingJsonSync(src, {
              path: (segs ?? []).map((seg) => Buffer.from(seg, "latin1")),
              recursive: opts.recursive ?? false,
            });
            if (segs === undefined || json === undefined) notFound(path);
            // Nix 2.8 prints the JSON without a final newline
            writeBinary(json);
            return;
          }
          const root = listNarSync(src, { names: "binary" });
          listText(
            root,
            path,
            opts.recursive ?? false,
            opts.long ?? false,
            opts.directory ?? false,
          );
        } finally {
          src.close();
        }
      },
    );

  nar
    .command("cat")
    .description("print the contents of a file inside a NAR file on stdout")
    .argument("<nar>", "the NAR file, or - for standard input")
    .argument("<path>", "the path inside the NAR")
    .action(async (file: string, arg: string) => {
      const path = rawArgument(arg);
      const segs = narPathSegments(path, false) ?? notFound(path);
      const src = fileChunkSource(file);
      let found = false;
      try {
        // The whole NAR is read, after the file is written out: a NAR damaged after the file
        // fails (as `nix nar cat` refuses it), and a writer piping into us is never cut off.
        visitNarSync(src, (node) => {
          if (found || !sameSegments(node.segmentBytes, segs)) return false;
          if (node.type !== "regular") {
            throw new NixCompatError(
              "nar.not-regular",
              `path ${quoteInput(arg)} is not a regular file`,
            );
          }
          const whole = node.takeBuffered();
          if (whole !== undefined) writeStdoutSync(whole);
          else for (const chunk of node.chunks()) writeStdoutSync(chunk);
          found = true;
          return false;
        });
      } finally {
        src.close();
      }
      if (found) return;
      notFound(path);
    });
}
