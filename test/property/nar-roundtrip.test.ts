import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isNixCompatError, TruncatedInputError } from "../../src/core/errors.js";
import {
  createNarWriter,
  encodeNar,
  type NarNode,
  type NarStreamNode,
  type NarWriteEntry,
  parseNar,
  readNar,
  readNarDeclarative,
  readNarSync,
  readNarTree,
  writeNarToBytes,
} from "../../src/nar/index.js";
import { visitNarSync } from "../../src/nar/nar-sync-visitor.js";
import { dumpPathToBytes } from "../../src/node/nar-dump.js";
import { restoreNar } from "../../src/node/nar-restore.js";
import { arbNarBytes, arbNarTree } from "../../src/testing/nar.js";
import { readTree, writeTree } from "../support/nar-fs.js";
import { withTempDirAsync } from "../support/nix.js";

const RUNS = 150;

function chunked(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  let k = 0;
  while (i < bytes.length) {
    const n = Math.max(1, sizes[k++ % sizes.length] ?? 1);
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

/** Everything a reader reports, contents included, or its error as `class code offset`. */
async function transcript(nodes: AsyncIterable<NarStreamNode>): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const n of nodes) {
      if (n.type === "regular") {
        const parts: number[] = [];
        for await (const c of n.contents) parts.push(...c);
        out.push(`regular ${n.path} ${n.executable} ${n.size} @${n.narOffset} ${parts.join(",")}`);
      } else if (n.type === "symlink") out.push(`symlink ${n.path} ${n.target}`);
      else out.push(`directory ${n.path}`);
    }
    out.push("end");
  } catch (e) {
    if (!isNixCompatError(e)) throw e;
    out.push(`error ${e.constructor.name} ${e.code} @${e.position.offset}`);
  }
  return out;
}

/** {@link transcript} of the synchronous reader (contents read through `contentsSync`). */
function transcriptSync(nodes: Iterable<NarStreamNode>): string[] {
  const out: string[] = [];
  try {
    for (const n of nodes) {
      if (n.type === "regular") {
        const parts: number[] = [];
        for (const c of n.contentsSync!) parts.push(...c);
        out.push(`regular ${n.path} ${n.executable} ${n.size} @${n.narOffset} ${parts.join(",")}`);
      } else if (n.type === "symlink") out.push(`symlink ${n.path} ${n.target}`);
      else out.push(`directory ${n.path}`);
    }
    out.push("end");
  } catch (e) {
    if (!isNixCompatError(e)) throw e;
    out.push(`error ${e.constructor.name} ${e.code} @${e.position.offset}`);
  }
  return out;
}

/** {@link transcript} of the synchronous visitor (contents half through `takeBuffered`). */
function transcriptVisit(input: Uint8Array | Uint8Array[]): string[] {
  const out: string[] = [];
  const dec = new TextDecoder();
  let k = 0;
  try {
    visitNarSync(input, (n) => {
      const path = n.segmentBytes.map((b) => dec.decode(b)).join("/");
      if (n.type === "regular") {
        const parts: number[] = [];
        const whole = k++ % 2 === 0 ? n.takeBuffered() : undefined;
        if (whole !== undefined) parts.push(...whole);
        else for (const c of n.chunks()) parts.push(...c);
        out.push(`regular ${path} ${n.executable} ${n.size} @${n.narOffset} ${parts.join(",")}`);
      } else if (n.type === "symlink") out.push(`symlink ${path} ${dec.decode(n.targetBytes)}`);
      else out.push(`directory ${path}`);
    });
    out.push("end");
  } catch (e) {
    if (!isNixCompatError(e)) throw e;
    out.push(`error ${e.constructor.name} ${e.code} @${e.position.offset}`);
  }
  return out;
}

function entriesOf(tree: NarNode): NarWriteEntry[] {
  const out: NarWriteEntry[] = [];
  const walk = (n: NarNode, path: string) => {
    if (n.type === "directory") {
      out.push({ path, type: "directory" });
      for (const e of n.entries) walk(e.node, path === "" ? e.name : `${path}/${e.name}`);
    } else if (n.type === "symlink") out.push({ path, type: "symlink", target: n.target });
    else out.push({ path, type: "regular", executable: n.executable, contents: n.contents });
  };
  walk(tree, "");
  return out;
}

describe("NAR round trips", () => {
  it("tree -> write -> read gives the same tree (sync, stream, every writer)", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbNarTree(),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1 }),
        async (tree, sizes) => {
          const bytes = encodeNar(tree);
          expect(parseNar(bytes)).toEqual(tree);
          expect(await readNarTree(chunked(bytes, sizes))).toEqual(tree);
          expect(await writeNarToBytes(entriesOf(tree))).toEqual(bytes);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("valid NAR -> read -> write gives the same bytes", () => {
    fc.assert(
      fc.property(arbNarBytes(), (bytes) => {
        expect(encodeNar(parseNar(bytes))).toEqual(bytes);
      }),
      { numRuns: RUNS },
    );
  });

  it("the hand-tuned reader gives exactly what the declarative one gives, whatever the chunking", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbNarBytes(),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1 }),
        async (bytes, sizes) => {
          const want = await transcript(readNarDeclarative([bytes]));
          expect(want[want.length - 1]).toBe("end");
          expect(await transcript(readNar(chunked(bytes, sizes)))).toEqual(want);
          expect(transcriptSync(readNarSync(chunked(bytes, sizes)))).toEqual(want);
          expect(transcriptVisit(chunked(bytes, sizes))).toEqual(want);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("the visitor-style writer refuses what Nix refuses", () => {
    const sink = () => {};
    const w = createNarWriter(sink);
    w.directory();
    w.entry("b");
    w.symlink("x");
    expect(() => w.entry("a")).toThrow(expect.objectContaining({ code: "nar.unsorted-entries" }));
    expect(() => w.entry("b")).toThrow(expect.objectContaining({ code: "nar.duplicate-entry" }));
    for (const bad of ["", ".", "..", "a/b", "a\0b"]) {
      expect(() => w.entry(bad)).toThrow(expect.objectContaining({ code: "nar.invalid-name" }));
    }
    w.entry("c");
    expect(() => w.symlink("")).toThrow(expect.objectContaining({ code: "nar.invalid-target" }));
    // JavaScript order differs from byte order: U+FF5A before U+1F600 as bytes
    const v = createNarWriter(sink);
    v.directory();
    v.entry("\uFF5A");
    v.symlink("t");
    v.entry("😀");
    v.symlink("t");
    v.end();
    v.finish();
    expect(() =>
      encodeNar({
        type: "directory",
        entries: [
          { name: "a", node: { type: "symlink", target: "x" } },
          { name: "a", node: { type: "symlink", target: "y" } },
        ],
      }),
    ).toThrow(expect.objectContaining({ code: "nar.duplicate-entry" }));
  });
});

describe("damaged NARs give the library's typed error, the same from every reader", () => {
  it("truncated", async () => {
    await fc.assert(
      fc.asyncProperty(arbNarBytes(), fc.nat(), async (bytes, n) => {
        const cut = bytes.subarray(0, n % bytes.length);
        expect(() => parseNar(cut)).toThrow(TruncatedInputError);
        const want = await transcript(readNarDeclarative([cut]));
        expect(want[want.length - 1]).toMatch(/^error TruncatedInputError nar.truncated/);
        expect(await transcript(readNar([cut]))).toEqual(want);
        expect(transcriptSync(readNarSync(chunked(cut, [3, 50])))).toEqual(want);
        expect(transcriptVisit(chunked(cut, [3, 50]))).toEqual(want);
      }),
      { numRuns: RUNS },
    );
  });

  it("bit-flipped", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbNarBytes(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), {
          minLength: 1,
          maxLength: 3,
        }),
        async (bytes, flips) => {
          const b = new Uint8Array(bytes);
          for (const [at, bit] of flips) b[at % b.length]! ^= 1 << bit;
          let syncErr: unknown;
          try {
            parseNar(b);
          } catch (e) {
            syncErr = e;
          }
          if (syncErr !== undefined) expect(isNixCompatError(syncErr)).toBe(true);
          const want = await transcript(readNarDeclarative([b]));
          expect(await transcript(readNar(chunked(b, [5, 17, 64])))).toEqual(want);
          expect(transcriptSync(readNarSync(chunked(b, [5, 17, 64])))).toEqual(want);
          expect(transcriptVisit(chunked(b, [5, 17, 64]))).toEqual(want);
          expect(want[want.length - 1]!.startsWith("error")).toBe(syncErr !== undefined);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("spliced", async () => {
    await fc.assert(
      fc.asyncProperty(arbNarBytes(), arbNarBytes(), fc.nat(), fc.nat(), async (a, b, i, j) => {
        const s = new Uint8Array([
          ...a.subarray(0, i % (a.length + 1)),
          ...b.subarray(j % (b.length + 1)),
        ]);
        let syncErr: unknown;
        try {
          parseNar(s);
        } catch (e) {
          syncErr = e;
        }
        if (syncErr !== undefined) expect(isNixCompatError(syncErr)).toBe(true);
        const want = await transcript(readNarDeclarative([s]));
        expect(await transcript(readNar([s]))).toEqual(want);
        expect(transcriptSync(readNarSync(s))).toEqual(want);
        expect(transcriptVisit(s)).toEqual(want);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("filesystem adapters pinned to the declarative encoder", () => {
  it("dump of a tree written to disk = encodeNar(tree); restore gives the tree back", async () => {
    await fc.assert(
      fc.asyncProperty(arbNarTree({ maxFileSize: 3000 }), async (tree) => {
        await withTempDirAsync(async (dir) => {
          const src = join(dir, "src");
          writeTree(src, tree);
          const nar = dumpPathToBytes(src);
          expect(nar).toEqual(encodeNar(tree));
          const dest = join(dir, "dest");
          await restoreNar(chunked(nar, [7, 100, 4096]), dest);
          expect(readTree(dest)).toEqual(tree);
          // the asynchronous path of restore too
          const destAsync = join(dir, "dest-async");
          await restoreNar(
            (async function* () {
              yield* chunked(nar, [7, 100, 4096]);
            })(),
            destAsync,
          );
          expect(readTree(destAsync)).toEqual(tree);
          await expect(restoreNar([nar], dest)).rejects.toMatchObject({
            code: "nar.destination-exists",
          });
        });
      }),
      { numRuns: 60 },
    );
  });
});
