import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  LimitExceededError,
  MalformedInputError,
  TruncatedInputError,
} from "../../src/core/errors.js";
import {
  encodeNar,
  formatNarListingJson,
  listNar,
  listNarTree,
  type NarNode,
  type NarStreamNode,
  type NarWriteEntry,
  parseNar,
  readNar,
  readNarDeclarative,
  readNarTree,
  writeNarToBytes,
} from "../../src/nar/index.js";
import { NarListingJson } from "../../src/schemas/nar-listing.js";
import { fixturePath } from "../support/fixtures.js";

const upstream = (name: string) => fixturePath("nix-upstream", "libutil", "nars", name);

/** Each upstream NAR and the error Nix's test suite expects (undefined: accepted). */
const UPSTREAM: Record<
  string,
  { code: string; cls: typeof MalformedInputError | typeof TruncatedInputError } | undefined
> = {
  "dot.nar": { code: "nar.invalid-name", cls: MalformedInputError },
  "dotdot.nar": { code: "nar.invalid-name", cls: MalformedInputError },
  "empty.nar": { code: "nar.invalid-name", cls: MalformedInputError },
  "slash.nar": { code: "nar.invalid-name", cls: MalformedInputError },
  "nul-character.nar": { code: "nar.invalid-name", cls: MalformedInputError },
  "executable-after-contents.nar": { code: "nar.unexpected-token", cls: MalformedInputError },
  "invalid-tag-instead-of-contents.nar": { code: "nar.unexpected-token", cls: MalformedInputError },
  "name-after-node.nar": { code: "nar.unexpected-token", cls: MalformedInputError },
  "regular-one-byte-non-zero-padding.nar": {
    code: "nar.nonzero-padding",
    cls: MalformedInputError,
  },
  "regular-truncated-large-contents.nar": { code: "nar.limit-exceeded", cls: LimitExceededError },
  "regular-truncated-padding.nar": { code: "nar.truncated", cls: TruncatedInputError },
  "regular-one-byte-zero-padding.nar": undefined,
};

async function drain(nodes: AsyncIterable<NarStreamNode>): Promise<string[]> {
  const out: string[] = [];
  for await (const n of nodes) {
    let size = 0;
    if (n.type === "regular") for await (const c of n.contents) size += c.length;
    out.push(`${n.type} ${n.path} ${size}`);
  }
  return out;
}

async function entriesOf(tree: NarNode): Promise<NarWriteEntry[]> {
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

describe("Nix's own NAR test files (libutil/nars)", () => {
  it("covers every file of the directory", () => {
    const files = readdirSync(fixturePath("nix-upstream", "libutil", "nars")).sort();
    expect(files).toEqual(Object.keys(UPSTREAM).sort());
  });
  for (const [name, want] of Object.entries(UPSTREAM)) {
    it(`${name}: ${want ? `rejected with ${want.code}` : "accepted"} (sync, declarative stream, fast stream)`, async () => {
      const bytes = new Uint8Array(readFileSync(upstream(name)));
      const readers: (() => Promise<unknown>)[] = [
        async () => parseNar(bytes),
        () => drain(readNarDeclarative([bytes])),
        () => drain(readNar([bytes])),
        () => drain(readNar(Array.from(bytes, (b) => Uint8Array.of(b)))),
      ];
      for (const read of readers) {
        if (want === undefined) {
          await expect(read()).resolves.toBeDefined();
        } else {
          const err = await read().then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err).toBeInstanceOf(want.cls);
          expect((err as MalformedInputError).code).toBe(want.code);
          expect((err as MalformedInputError).position.offset).toBeTypeOf("number");
          expect((err as MalformedInputError).position.rule).toMatch(/^nar/);
        }
      }
    });
  }
});

describe("fixtures/nar/*.nar", () => {
  const dir = fixturePath("nar");
  const files = (() => {
    try {
      return readdirSync(dir).filter((f) => f.endsWith(".nar"));
    } catch {
      return [];
    }
  })();
  for (const f of files) {
    it(`${f}: read and re-written byte-identically by every writer`, async () => {
      const bytes = new Uint8Array(readFileSync(`${dir}/${f}`));
      const tree = parseNar(bytes);
      expect(encodeNar(tree)).toEqual(bytes);
      expect(await readNarTree([bytes])).toEqual(tree);
      expect(await writeNarToBytes(await entriesOf(tree))).toEqual(bytes);
      expect(await drain(readNar([bytes]))).toEqual(await drain(readNarDeclarative([bytes])));
    });
  }

  it("nixos-release.ls parses with the listing schema", () => {
    const doc = JSON.parse(readFileSync(`${dir}/nixos-release.ls`, "utf8"));
    const r = NarListingJson.safeParse(doc);
    expect(r.success).toBe(true);
    expect(NarListingJson.safeParse({ version: 2, root: doc.root }).success).toBe(false);
    expect(NarListingJson.safeParse({ version: 1, root: { type: "regular" } }).success).toBe(false);
  });
});

describe("Nix's NAR listings (libutil/nar-listing)", () => {
  const tree: NarNode = {
    type: "directory",
    entries: [
      { name: "foo", node: { type: "regular", executable: false, contents: new Uint8Array(15) } },
      {
        name: "bar",
        node: {
          type: "directory",
          entries: [
            {
              name: "baz",
              node: { type: "regular", executable: true, contents: new Uint8Array(19) },
            },
            { name: "quux", node: { type: "symlink", target: "/over/there" } },
          ],
        },
      },
    ],
  };
  const load = (name: string) =>
    JSON.parse(readFileSync(fixturePath("nix-upstream", "libutil", "nar-listing", name), "utf8"));
  const plain = (v: unknown) => JSON.parse(JSON.stringify(v));

  it("deep.json is the recursive listing", async () => {
    expect(plain(listNarTree(tree))).toEqual(load("deep.json"));
    expect(NarListingJson.safeParse({ version: 1, root: load("deep.json") }).success).toBe(true);
    // the streamed listing is the same, plus narOffset (and executable only when true)
    const streamed = plain(await listNar([encodeNar(tree)]));
    expect(streamed.entries.bar.entries.baz).toEqual({
      type: "regular",
      size: 19,
      executable: true,
      narOffset: 400,
    });
    expect(streamed.entries.foo.narOffset).toBeTypeOf("number");
  });

  it("shallow.json is the non-recursive listing", async () => {
    expect(plain(listNarTree(tree, { recursive: false }))).toEqual(load("shallow.json"));
    const root = await listNar([encodeNar(tree)]);
    expect(JSON.parse(formatNarListingJson(root, { recursive: false }))).toEqual(
      load("shallow.json"),
    );
  });
});
