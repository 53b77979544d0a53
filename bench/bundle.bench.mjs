// Browser bundle sizes (esbuild, minified, tree-shaken as an application bundles the package):
// parsing a `.drv` from the root (no zod), validating a derivation JSON (zod), and how much of
// that is zod: classic `zod` against `zod/mini` for the same set of schema functions as
// src/schemas uses (strict objects, strings with regex/min, arrays, records, unions, literals,
// enums, lazy, discriminated unions, optional/nullable, int/nonnegative, refine/superRefine).
import { build } from "esbuild";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { printTable, REPO_ROOT } from "./lib.mjs";

const dist = (file) => JSON.stringify(join(REPO_ROOT, "dist", file));
const CASES = [
  [
    "parse a .drv (nix-compat)",
    `import { parseDerivationATerm } from ${dist("index.js")};
   export default (b) => parseDerivationATerm(b);`,
  ],
  [
    "hashes and store paths (nix-compat)",
    `import { parseStorePath, formatHash, computeHash } from ${dist("index.js")};
   export default (p) => formatHash(computeHash("sha256", parseStorePath(p).name));`,
  ],
  [
    "validate a derivation JSON (nix-compat/derivation)",
    `import { readDerivationJson } from ${dist("derivation/index.js")};
   export default (t) => readDerivationJson(t);`,
  ],
  ["everything of the root (nix-compat)", `export * from ${dist("index.js")};`],
  [
    "zod classic, the functions src/schemas uses",
    `import * as z from "zod";
   const s = z.strictObject({ a: z.string().regex(/x/).min(1), b: z.array(z.number().int().nonnegative()).optional(),
     c: z.record(z.string(), z.string()).nullable(), d: z.union([z.literal("x"), z.boolean()]), e: z.enum(["a", "b"]),
     f: z.lazy(() => z.unknown()), g: z.discriminatedUnion("t", [z.strictObject({ t: z.literal("a") })]) })
     .superRefine(() => undefined).refine(() => true);
   export default (v) => s.safeParse(v);`,
  ],
  [
    "zod/mini, the same functions",
    `import * as z from "zod/mini";
   const s = z.check(z.strictObject({ a: z.string().check(z.regex(/x/), z.minLength(1)),
     b: z.optional(z.array(z.number().check(z.int(), z.nonnegative()))), c: z.nullable(z.record(z.string(), z.string())),
     d: z.union([z.literal("x"), z.boolean()]), e: z.enum(["a", "b"]), f: z.lazy(() => z.unknown()),
     g: z.discriminatedUnion("t", [z.strictObject({ t: z.literal("a") })]) }), z.superRefine(() => undefined), z.refine(() => true));
   export default (v) => z.safeParse(s, v);`,
  ],
];

const rows = [];
for (const [work, source] of CASES) {
  const result = await build({
    stdin: { contents: source, resolveDir: REPO_ROOT, loader: "js" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "error",
  });
  const out = result.outputFiles[0].contents;
  const inputs = Object.values(result.metafile.outputs)[0].inputs;
  const zod = Object.entries(inputs)
    .filter(([f]) => f.includes("node_modules/zod/"))
    .reduce((n, [, i]) => n + i.bytesInOutput, 0);
  rows.push({
    bundle: work,
    "minified KiB": out.length / 1024,
    "gzip KiB": gzipSync(out).length / 1024,
    "of it zod KiB": zod / 1024,
  });
}
printTable("browser bundles (esbuild --bundle --minify, tree-shaken)", rows);
