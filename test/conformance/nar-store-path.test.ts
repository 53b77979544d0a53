import { join } from "node:path";
import fc from "fast-check";
import { expect, it } from "vitest";
import { installNodeHashing } from "../../src/node/hash-backend.js";
import { storePathOfPath } from "../../src/node/nar-store-path.js";
import { arbNarTree } from "../../src/testing/nar.js";
import { writeTree } from "../support/nar-fs.js";
import { CONFORMANCE_RUNS, describeWithNix, runNix, withTempDirAsync } from "../support/nix.js";

installNodeHashing();

describeWithNix("recursive store paths of filesystem paths", () => {
  it("= nix-store --add (sha256) and --add-fixed --recursive (sha1, sha512)", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbNarTree({ maxDepth: 2, maxFileSize: 2000 }),
        fc.constantFrom("sha256", "sha1", "sha512"),
        async (tree, algorithm) => {
          await withTempDirAsync(async (dir) => {
            const src = join(dir, "added-thing");
            writeTree(src, tree);
            const nixPath =
              algorithm === "sha256"
                ? runNix("nix-store", ["--add", src])
                : runNix("nix-store", ["--add-fixed", "--recursive", algorithm, src]);
            expect(await storePathOfPath(src, { algorithm })).toBe(nixPath);
          });
        },
      ),
      { numRuns: Math.max(5, Math.floor(CONFORMANCE_RUNS / 2)) },
    );
  });
});
