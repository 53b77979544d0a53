import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { expect, it } from "vitest";
import { formatNarListingJson, listNar, type NarNode, readNar } from "../../src/nar/index.js";
import { installNodeHashing } from "../../src/node/hash-backend.js";
import { dumpPathToBytes, hashPath } from "../../src/node/nar-dump.js";
import { restoreNar } from "../../src/node/nar-restore.js";
import { arbNarTree } from "../../src/testing/nar.js";
import { snapshot, writeTree } from "../support/nar-fs.js";
import {
  CONFORMANCE_RUNS,
  describeWithNix,
  runNix,
  runNixBytes,
  withTempDirAsync,
} from "../support/nix.js";

installNodeHashing();

function regularPaths(n: NarNode, prefix = ""): string[] {
  if (n.type === "regular") return [prefix];
  if (n.type === "symlink") return [];
  return n.entries.flatMap((e) => regularPaths(e.node, `${prefix}/${e.name}`));
}

async function catFromNar(nar: Uint8Array, path: string): Promise<Buffer | undefined> {
  const want = path
    .split("/")
    .filter((s) => s !== "")
    .join("/");
  for await (const node of readNar([nar])) {
    if (node.path === want && node.type === "regular") {
      const parts: Uint8Array[] = [];
      for await (const c of node.contents) parts.push(new Uint8Array(c));
      return Buffer.concat(parts);
    }
  }
  return undefined;
}

describeWithNix("NAR conformance on random trees", () => {
  it("dump = nix-store --dump; restore = nix-store --restore; ls -R --json = nix nar ls; cat = nix nar cat; hash path = nix hash path", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbNarTree({ rootDirectory: true, maxDepth: 4, maxEntries: 5, maxFileSize: 5000 }),
        fc.nat(),
        async (tree, pick) => {
          await withTempDirAsync(async (dir) => {
            const src = join(dir, "src");
            writeTree(src, tree);
            // dump-path
            const theirs = new Uint8Array(runNixBytes("nix-store", ["--dump", src]));
            const ours = dumpPathToBytes(src);
            expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
            // restore of Nix's NAR
            const narFile = join(dir, "t.nar");
            writeFileSync(narFile, theirs);
            runNix("nix-store", ["--restore", join(dir, "by-nix")], { input: theirs });
            await restoreNar([theirs], join(dir, "by-us"));
            expect(snapshot(join(dir, "by-us"))).toEqual(snapshot(join(dir, "by-nix")));
            // ls -R --json
            const listing = formatNarListingJson(await listNar([theirs]), { recursive: true });
            expect(listing).toBe(runNix("nix", ["nar", "ls", "-R", "--json", narFile, "/"]));
            // cat
            const files = regularPaths(tree);
            if (files.length > 0) {
              const path = files[pick % files.length]!;
              const nixCat = runNixBytes("nix", ["nar", "cat", narFile, path]);
              expect((await catFromNar(theirs, path))?.equals(nixCat)).toBe(true);
            }
            // hash path
            const hex = Buffer.from(await hashPath(src, "sha256")).toString("hex");
            expect(hex).toBe(runNix("nix", ["hash", "path", "--type", "sha256", "--base16", src]));
          });
        },
      ),
      { numRuns: CONFORMANCE_RUNS },
    );
  });
});
