/**
 * Writes NAR trees to the filesystem and reads them back, for the NAR tests (Node only).
 */
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { NarNode } from "../../src/nar/types.js";
import { sortNarEntries } from "../../src/testing/nar.js";

/** Creates `tree` at `path` (which must not exist). */
export function writeTree(path: string, tree: NarNode): void {
  if (tree.type === "regular") {
    writeFileSync(path, tree.contents);
    chmodSync(path, tree.executable ? 0o755 : 0o644);
  } else if (tree.type === "symlink") {
    symlinkSync(tree.target, path);
  } else {
    mkdirSync(path);
    for (const e of tree.entries) writeTree(join(path, e.name), e.node);
  }
}

/** Reads the tree at `path` (symlinks not followed, executable = owner x bit). */
export function readTree(path: string): NarNode {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return { type: "symlink", target: readlinkSync(path) };
  if (st.isFile()) {
    return {
      type: "regular",
      executable: (st.mode & 0o100) !== 0,
      contents: new Uint8Array(readFileSync(path)),
    };
  }
  return {
    type: "directory",
    entries: sortNarEntries(
      readdirSync(path).map((name) => ({ name, node: readTree(join(path, name)) })),
    ),
  };
}

/**
 * Everything about a restored tree that matters: type, mode bits, contents, targets. Names
 * and targets are read as bytes (shown one character per byte), so names that are not UTF-8
 * are compared exactly.
 */
export function snapshot(path: string | Buffer, rel = ""): string[] {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) {
    return [`${rel} symlink ${readlinkSync(path, { encoding: "buffer" }).toString("latin1")}`];
  }
  if (st.isFile()) {
    return [`${rel} file ${(st.mode & 0o777).toString(8)} ${readFileSync(path).toString("hex")}`];
  }
  const out = [`${rel} dir ${(st.mode & 0o777).toString(8)}`];
  const base = Buffer.isBuffer(path) ? path : Buffer.from(path);
  for (const name of readdirSync(path, { encoding: "buffer" }).sort(Buffer.compare)) {
    const child = Buffer.concat([base, Buffer.from("/"), name]);
    out.push(...snapshot(child, `${rel}/${name.toString("latin1")}`));
  }
  return out;
}
