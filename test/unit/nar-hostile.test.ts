/**
 * NAR edge cases from hostile-input runs (issue 14): deep trees read by every reader without
 * recursion on the call stack, byte-exact whole-tree decoding of names and targets that are not
 * UTF-8, and `nar cat` reading (and checking) its whole input.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { framedBytes, utf8Bytes } from "../../src/codecs/index.js";
import { LimitExceededError } from "../../src/core/errors.js";
import { binaryString } from "../../src/nar/listing.js";
import {
  encodeNar,
  formatNarListingJson,
  listNar,
  listNarSync,
  listNarTree,
  NAR_MAX_DEPTH,
  narListingJsonSync,
  type NarListingNode,
  NAR_TOKENS as T,
  type NarNode,
  parseNar,
  readNar,
  readNarDeclarative,
  readNarSync,
  readNarTree,
} from "../../src/nar/index.js";
import { visitNarSync } from "../../src/nar/nar-sync-visitor.js";
import { restoreNar } from "../../src/node/nar-restore.js";
import { arbNarTree } from "../../src/testing/nar.js";
import { CLI_PATH, runCli } from "../support/cli.js";

const cat = (...parts: Uint8Array[]) => Buffer.concat(parts);
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "nix-compat-nar-hostile-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A chain of `depth` directories named `d` ending in a file holding `hi`, built as bytes. */
function deepNar(depth: number): Uint8Array {
  const open = cat(
    T.open,
    T.type,
    T.directory,
    T.entry,
    T.open,
    T.name,
    framedBytes(utf8Bytes("d")),
    T.node,
  );
  const close = cat(T.close, T.close); // the entry, then the directory
  const file = encodeNar({ type: "regular", executable: false, contents: utf8Bytes("hi") });
  const parts: Uint8Array[] = [T.magic];
  for (let i = 0; i < depth; i++) parts.push(open);
  parts.push(file.subarray(T.magic.length));
  for (let i = 0; i < depth; i++) parts.push(close);
  return cat(...parts);
}

async function drain(it: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of it) n++;
  return n;
}

describe("deep NARs", () => {
  // deeper than Nix can dump (PATH_MAX), and deep enough to overflow the call stack of a
  // recursive reader (the old interpreter used ~7 generator frames per level)
  const depth = 2100;
  const bytes = deepNar(depth);

  it("every reader and the encoder read deep NARs without recursion", async () => {
    const tree = parseNar(bytes);
    expect(Buffer.from(encodeNar(tree)).equals(Buffer.from(bytes))).toBe(true);
    expect((await readNarTree([bytes])).type).toBe("directory");
    expect(await drain(readNar([bytes]))).toBe(depth + 1);
    expect(await drain(readNarDeclarative([bytes]))).toBe(depth + 1);
    let sync = 0;
    for (const _ of readNarSync(bytes)) sync++;
    expect(sync).toBe(depth + 1);
    const listing = await listNar([bytes]);
    expect(formatNarListingJson(listing)).toContain('"size":2');
    expect(listNarTree(tree).type).toBe("directory");
  });

  it("NAR_MAX_DEPTH levels are read, one more is a limit error; the limit is overridable", async () => {
    let n = 0;
    visitNarSync(deepNar(NAR_MAX_DEPTH), () => void n++);
    expect(n).toBe(NAR_MAX_DEPTH + 1);
    expect(() => visitNarSync(deepNar(NAR_MAX_DEPTH + 1), () => {})).toThrow(LimitExceededError);
    const over = deepNar(101);
    const options = { limits: { "codec.depth": 100 } };
    const limit = (f: () => unknown) => expect(f).toThrow(LimitExceededError);
    limit(() => parseNar(over, options));
    limit(() => visitNarSync(over, () => {}, options));
    limit(() => [...readNarSync(over, options)]);
    await expect(drain(readNar([over], options))).rejects.toBeInstanceOf(LimitExceededError);
    await expect(drain(readNarDeclarative([over], options))).rejects.toBeInstanceOf(
      LimitExceededError,
    );
    expect(parseNar(over, { limits: { "codec.depth": 101 } }).type).toBe("directory");
    // encoding a cyclic tree stops at the limit instead of running forever
    const cyclic = { type: "directory", entries: [] as { name: string; node: NarNode }[] };
    cyclic.entries.push({ name: "loop", node: cyclic as NarNode });
    expect(() => encodeNar(cyclic as NarNode)).toThrow(/deeper than the limit/);
  });

  it("restores and lists what dump-path writes 600 levels deep (as nix-store --dump)", async () => {
    const d = tmp();
    let p = join(d, "tree");
    for (let i = 0; i < 600; i++) p = join(p, "d");
    mkdirSync(p, { recursive: true });
    writeFileSync(join(p, "f"), "deep\n");
    const dumped = runCli(["nar", "dump-path", join(d, "tree")]);
    expect(dumped.status).toBe(0);
    const inner = `/${Array(600).fill("d").join("/")}/f`;
    const narFile = join(d, "tree.nar");
    writeFileSync(narFile, dumped.stdout);
    const catted = runCli(["nar", "cat", narFile, inner]);
    expect(catted.stderr).toBe("");
    expect(catted.stdoutText).toBe("deep\n");
    const ls = runCli(["nar", "ls", "-R", narFile, "/"]);
    expect(ls.status).toBe(0);
    expect(ls.stdoutText.split("\n")).toHaveLength(602);
    const json = runCli(["nar", "ls", "-R", "--json", narFile, "/"]);
    expect(json.status).toBe(0);
    expect(json.stdoutText.endsWith("}}".repeat(601))).toBe(true);
    const restored = runCli(["nar", "restore", join(d, "back")], { input: dumped.stdout });
    expect(restored.stderr).toBe("");
    const again = runCli(["nar", "dump-path", join(d, "back")]);
    expect(again.stdout.equals(dumped.stdout)).toBe(true);
    // the library's restore, from a synchronous and an asynchronous source
    await restoreNar(dumped.stdout, join(d, "sync"));
    await restoreNar(
      (async function* () {
        yield dumped.stdout;
      })(),
      join(d, "async"),
    );
    expect(runCli(["nar", "dump-path", join(d, "async")]).stdout.equals(dumped.stdout)).toBe(true);
  });
});

describe("nar ls --json without a listing tree", () => {
  it("narListingJsonSync = formatNarListingJson of the binary listing, at every path (seeded)", () => {
    fc.assert(
      fc.property(arbNarTree({ maxDepth: 3, maxEntries: 5 }), fc.boolean(), (tree, recursive) => {
        const nar = encodeNar(tree);
        const listing = listNarSync(nar, { names: "binary" });
        // every path of the tree, as raw names, and one that is not in it
        const paths: Uint8Array[][] = [[], [utf8Bytes("no such entry")]];
        const walk = (n: NarNode, at: Uint8Array[]) => {
          if (n.type !== "directory") return;
          for (const e of n.entries) {
            const p = [...at, utf8Bytes(e.name)];
            paths.push(p);
            walk(e.node, p);
          }
        };
        walk(tree, []);
        for (const path of paths) {
          let node: NarListingNode | undefined = listing;
          for (const seg of path) {
            const key = binaryString(seg);
            node =
              node?.type === "directory" && Object.hasOwn(node.entries, key)
                ? node.entries[key]
                : undefined;
          }
          const expected = node && formatNarListingJson(node, { recursive });
          expect(narListingJsonSync(nar, { path, recursive })).toBe(expected);
        }
      }),
      { seed: 14, numRuns: 60 },
    );
  });
});

describe("parseNar keeps the bytes of names and targets", () => {
  it("non-UTF-8 names and targets, and a leading BOM, encode back to the same NAR", () => {
    const names = [
      Uint8Array.of(0xef, 0xbb, 0xbf, 0x61), // BOM then "a": a decoder may drop the BOM
      Uint8Array.of(0x80), // two distinct invalid names that both decode to U+FFFD
      Uint8Array.of(0x81),
      Uint8Array.of(0xc3, 0xa9), // é, valid
    ];
    const target = Uint8Array.of(0x93, 0xff, 0x2f, 0x78);
    const entry = (name: Uint8Array, node: Uint8Array) =>
      cat(T.entry, T.open, T.name, framedBytes(name), T.node, node, T.close);
    const link = cat(T.open, T.type, T.symlink, T.target, framedBytes(target), T.close);
    const sorted = [...names].sort(Buffer.compare);
    const nar = cat(
      T.magic,
      T.open,
      T.type,
      T.directory,
      ...sorted.map((n) => entry(n, link)),
      T.close,
    );
    const tree = parseNar(nar);
    expect(tree.type).toBe("directory");
    if (tree.type !== "directory") return;
    expect(tree.entries.map((e) => e.nameBytes !== undefined)).toEqual([true, true, false, false]);
    const first = tree.entries[0]!.node;
    expect(first.type === "symlink" && first.targetBytes).toEqual(target);
    expect(Buffer.from(encodeNar(tree)).equals(nar)).toBe(true);
  });
});

describe("nar cat reads its whole input", () => {
  const file = (s: string): NarNode => ({
    type: "regular",
    executable: false,
    contents: utf8Bytes(s),
  });
  const good = encodeNar({
    type: "directory",
    entries: [
      { name: "a", node: file("first\n") },
      {
        name: "b",
        node: { type: "regular", executable: false, contents: new Uint8Array(1 << 20) },
      },
    ],
  });

  it("fails (exit 1, after the file) on a NAR damaged after the file", () => {
    const d = tmp();
    const damaged = Buffer.from(good);
    damaged[damaged.length - 8] = 0x2a; // the directory's closing token
    writeFileSync(join(d, "damaged.nar"), damaged);
    const r = runCli(["nar", "cat", join(d, "damaged.nar"), "/a"]);
    expect(r.stdoutText).toBe("first\n");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: /);
    const truncated = runCli(["nar", "cat", "-", "/a"], { input: good.subarray(0, 200) });
    expect(truncated.status).toBe(1);
    const trailing = runCli(["nar", "cat", "-", "/a"], { input: cat(good, new Uint8Array(8)) });
    expect(trailing.status).toBe(1);
    expect(runCli(["nar", "cat", "-", "/a"], { input: good }).status).toBe(0);
  });

  it("`nar cat - PATH` does not cut off the writer of its standard input", () => {
    const d = tmp();
    writeFileSync(join(d, "big.nar"), good);
    // the writer sends 1 MiB after the file: a reader stopping early breaks its pipe
    const r = spawnSync(
      "bash",
      [
        "-c",
        `set -o pipefail; cat "$0" | "${process.execPath}" "${CLI_PATH}" nar cat - /a`,
        join(d, "big.nar"),
      ],
      { encoding: "utf8" },
    );
    expect(r.stdout).toBe("first\n");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
