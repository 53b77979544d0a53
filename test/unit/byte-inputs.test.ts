/**
 * What the byte readers accept: WHATWG streams read through their reader (no async iteration
 * needed), bytes from another realm (`node:vm`), and typed errors for anything else.
 */
import { readFileSync } from "node:fs";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { type ByteInput } from "../../src/codecs/index.js";
import { isBytes, makeOutputPath, storePathToAbsolute, UsageError } from "../../src/core/index.js";
import { encodeExport, readExport, writeExport } from "../../src/export/index.js";
import { encodeNar, listNar, parseNar, readNar, writeNarToBytes } from "../../src/nar/index.js";
import { REPO_ROOT } from "../support/fixtures.js";
import { rejection as thrown } from "../support/thrown.js";

const NAR = new Uint8Array(readFileSync(`${REPO_ROOT}/examples/hello.nar`));

/** A ReadableStream giving `bytes` in chunks of `size`, with no async iteration. */
function plainStream(bytes: Uint8Array, size = 100): ReadableStream<Uint8Array> {
  let at = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) controller.close();
      else controller.enqueue(bytes.slice(at, (at += size)));
    },
  });
  Object.defineProperty(stream, Symbol.asyncIterator, { value: undefined });
  return stream;
}

/** A Uint8Array made in a fresh `node:vm` context holding a copy of `bytes`. */
function foreignBytes(bytes: Uint8Array): Uint8Array {
  return runInNewContext("new Uint8Array(source)", { source: Array.from(bytes) }) as Uint8Array;
}

describe("web streams are read with their reader", () => {
  it("readNar and listNar read a ReadableStream that is not async-iterable", async () => {
    const s = plainStream(NAR);
    expect((s as unknown as Record<symbol, unknown>)[Symbol.asyncIterator]).toBeUndefined();
    const paths: string[] = [];
    for await (const node of readNar(s)) {
      paths.push(node.path);
      if (node.type === "regular") for await (const _ of node.contents) void _;
    }
    expect(paths).toEqual((await collectPaths(NAR)).sort());
    expect(await listNar(plainStream(NAR, 7))).toEqual(await listNar(NAR));
  });

  it("readExport reads a ReadableStream too", async () => {
    const tree = parseNar(NAR);
    const bytes = encodeExport([
      {
        path: "/nix/store/190gmvjd4sd37wbrmcld6dhfjasdraga-hello",
        references: [],
        deriver: undefined,
        nar: tree,
      },
    ]);
    const fromStream: unknown[] = [];
    for await (const p of readExport(plainStream(bytes, 33))) fromStream.push(p);
    const fromBytes: unknown[] = [];
    for await (const p of readExport(bytes)) fromBytes.push(p);
    expect(fromStream).toEqual(fromBytes);
  });

  it("writeNar and writeExport take ReadableStreams for contents and NARs", async () => {
    const hi = new TextEncoder().encode("hi\n");
    const bytes = await writeNarToBytes([
      { path: "", type: "regular", contents: { size: hi.length, stream: plainStream(hi, 2) } },
    ]);
    expect(bytes).toEqual(await writeNarToBytes([{ path: "", type: "regular", contents: hi }]));
    const info = {
      path: "/nix/store/190gmvjd4sd37wbrmcld6dhfjasdraga-hello",
      references: [],
      deriver: undefined,
    };
    const chunks: Uint8Array[] = [];
    for await (const c of writeExport([{ ...info, nar: plainStream(NAR, 64) }])) chunks.push(c);
    expect(Buffer.concat(chunks)).toEqual(
      Buffer.from(encodeExport([{ ...info, nar: parseNar(NAR) }])),
    );
  });

  it("null (a fetch() response without a body) is a typed error", async () => {
    const e = await thrown(listNar(null));
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).code).toBe("codec.no-input");
  });

  it("unsupported inputs are typed errors, not TypeErrors", async () => {
    for (const bad of [42, "nar", {}, new Uint16Array(8), new ArrayBuffer(8)]) {
      const e = await thrown(listNar(bad as unknown as ByteInput));
      expect(e, String(bad)).toBeInstanceOf(UsageError);
      expect((e as UsageError).code).toBe("codec.unsupported-input");
    }
  });

  it("a stream chunk that is not bytes is a typed error", async () => {
    const s = new ReadableStream({
      start(c) {
        c.enqueue("not bytes");
        c.close();
      },
    });
    const e = await thrown(listNar(s as ReadableStream<Uint8Array>));
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).code).toBe("codec.chunk-not-bytes");
  });
});

async function collectPaths(nar: Uint8Array): Promise<string[]> {
  const out: string[] = [];
  for await (const node of readNar(nar)) out.push(node.path);
  return out;
}

describe("bytes from another realm", () => {
  const foreign = foreignBytes(NAR);

  it("are not instanceof Uint8Array here, but isBytes knows them", () => {
    expect(foreign instanceof Uint8Array).toBe(false);
    expect(isBytes(foreign)).toBe(true);
    expect(isBytes(Buffer.from("x"))).toBe(true);
    expect(isBytes(new Uint16Array(2))).toBe(false);
    expect(isBytes(new DataView(new ArrayBuffer(2)))).toBe(false);
    expect(isBytes([1, 2])).toBe(false);
  });

  it("encodeNar takes file contents from another realm", () => {
    const tree = parseNar(NAR);
    const swap = (n: typeof tree): typeof tree =>
      n.type === "regular"
        ? { ...n, contents: foreignBytes(n.contents) }
        : n.type === "directory"
          ? { ...n, entries: n.entries.map((e) => ({ name: e.name, node: swap(e.node) })) }
          : n;
    expect(encodeNar(swap(tree))).toEqual(NAR);
  });

  it("writeNarToBytes takes them too", async () => {
    const bytes = await writeNarToBytes([
      { path: "", type: "regular", contents: foreignBytes(new TextEncoder().encode("hi\n")) },
    ]);
    expect(parseNar(bytes)).toMatchObject({
      type: "regular",
      contents: new TextEncoder().encode("hi\n"),
    });
  });

  it("the readers read them", async () => {
    // (the tree's contents are views of the foreign array, so compare its bytes)
    expect(encodeNar(parseNar(foreign))).toEqual(NAR);
    expect(await listNar(foreign)).toEqual(await listNar(NAR));
  });

  it("makeOutputPath takes a hash modulo from another realm", () => {
    const digest = new Uint8Array(32).fill(7);
    expect(storePathToAbsolute(makeOutputPath("out", foreignBytes(digest), "x"))).toBe(
      storePathToAbsolute(makeOutputPath("out", digest, "x")),
    );
  });
});
