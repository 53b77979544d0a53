import { PassThrough, Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { encodeNar, listNar, type NarNode, readNarTree, writeNar } from "../../src/nar/index.js";
import {
  fromNodeReadable,
  fromWebStream,
  nodeWritableSink,
  toNodeReadable,
  toWebStream,
} from "../../src/node/streams.js";

const tree: NarNode = {
  type: "directory",
  entries: [
    {
      name: "a",
      node: { type: "regular", executable: true, contents: new Uint8Array(100_000).fill(7) },
    },
    { name: "b", node: { type: "symlink", target: "a" } },
  ],
};
const nar = encodeNar(tree);
const chunks = () =>
  Array.from({ length: Math.ceil(nar.length / 999) }, (_, i) =>
    nar.subarray(i * 999, (i + 1) * 999),
  );

describe("stream adapters", () => {
  it("Node readables feed the NAR readers; iterables become Node readables", async () => {
    expect(await readNarTree(Readable.from(chunks()))).toEqual(tree);
    expect(await readNarTree(fromNodeReadable(toNodeReadable(chunks())))).toEqual(tree);
  });

  it("Web streams round-trip", async () => {
    expect(await readNarTree(fromWebStream(toWebStream(chunks())))).toEqual(tree);
    expect((await listNar(fromWebStream(toWebStream(chunks())))).type).toBe("directory");
  });

  it("a Node writable as a sink for the writers", async () => {
    const out = new PassThrough();
    const parts: Buffer[] = [];
    out.on("data", (c: Buffer) => parts.push(c));
    await writeNar(
      [
        { path: "", type: "directory" },
        {
          path: "a",
          type: "regular",
          executable: true,
          contents: { size: 100_000, stream: [new Uint8Array(100_000).fill(7)] },
        },
        { path: "b", type: "symlink", target: "a" },
      ],
      nodeWritableSink(out),
    );
    out.end();
    await new Promise((r) => out.on("end", r));
    expect(new Uint8Array(Buffer.concat(parts))).toEqual(nar);
  });
});
