/**
 * The published package as a consumer meets it: `npm pack` once, the tarball unpacked into
 * consumer projects, and the consumer type-checked by `tsc` with `skipLibCheck: false` (so
 * every shipped `.d.ts` is checked) under `moduleResolution` `node16`, `nodenext` and
 * `bundler`; the portable subpaths also with only `lib: ["ES2022", "DOM"]` and no
 * `@types/node`; and a CommonJS project loading the package with `import()`, as the README says.
 * Also: the tarball's source maps (none are shipped) and its size.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** One `tsc` run with `skipLibCheck: false` (zod's declarations are large) on a shared machine. */
const TSC_TIMEOUT_MS = 180_000;
import {
  type ConsumerProject,
  createConsumerProject,
  packRepository,
  type PackInfo,
} from "../support/packed-package.js";

/** The subpaths that import nothing from `node:` (what browsers and workers may load). */
const PORTABLE = [
  "core",
  "codecs",
  "nar",
  "derivation",
  "narinfo",
  "signing",
  "schemas",
  "daemon",
  "export",
] as const;
const NODE_ONLY = ["node", "daemon/node", "testing"] as const;

/** Imports every given subpath (so every shipped declaration is loaded) and uses a few APIs. */
function consumerSource(subpaths: readonly string[]): string {
  const names = subpaths.map((s) => `sub_${s.replace(/\W/g, "_")}`);
  return [
    ...subpaths.map((s, i) => `import * as ${names[i]} from "nix-compat/${s}";`),
    `import * as root from "nix-compat";`,
    `import { readNar, listNar, type NarListingNode } from "nix-compat/nar";`,
    `import { parseHash, formatHash, NixCompatError } from "nix-compat/core";`,
    ``,
    `export const modules: object[] = [root, ${names.join(", ")}];`,
    `export const sri: string = formatHash(parseHash("sha256:00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq"), "sri");`,
    ``,
    `/** A fetch() body goes to the NAR readers as it is (ReadableStream<Uint8Array> | null). */`,
    `export async function fromFetch(url: string): Promise<NarListingNode> {`,
    `  const response = await fetch(url);`,
    `  for await (const node of readNar(response.body)) {`,
    `    if (node.type === "regular") console.log(node.narOffset);`,
    `  }`,
    `  try {`,
    `    return await listNar((await fetch(url)).body);`,
    `  } catch (err) {`,
    `    if (err instanceof NixCompatError) console.log(err.code);`,
    `    throw err;`,
    `  }`,
    `}`,
    ``,
  ].join("\n");
}

function tsconfig(options: Record<string, unknown>, include: string[]): string {
  return JSON.stringify({
    compilerOptions: {
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      target: "ES2022",
      ...options,
    },
    include,
  });
}

/** Writes `config` as the project's `path` and expects `tsc -p path` to pass silently. */
function expectTypeChecks(project: ConsumerProject, path: string, config: string): void {
  project.write(path, config);
  const r = project.tsc(["-p", path]);
  expect(r.output).toBe("");
  expect(r.status).toBe(0);
}

let pack: PackInfo;
let packDir: string;
let node: ConsumerProject;
let bare: ConsumerProject;

beforeAll(() => {
  packDir = mkdtempSync(join(tmpdir(), "nix-compat-pack-"));
  pack = packRepository(packDir);
  node = createConsumerProject(pack, ["@types/node", "fast-check"]);
  bare = createConsumerProject(pack);
  node.write("src/all.ts", consumerSource([...PORTABLE, ...NODE_ONLY]));
  bare.write("src/portable.ts", consumerSource(PORTABLE));
  node.write("cjs/package.json", JSON.stringify({ type: "commonjs" }));
});

afterAll(() => {
  node?.remove();
  bare?.remove();
  if (packDir) rmSync(packDir, { recursive: true, force: true });
});

describe("consumers type-check against the packed package (skipLibCheck: false)", () => {
  const nodeLib = { lib: ["ES2022", "DOM"], types: ["node"] };
  it.each([
    ["node16", { module: "node16", moduleResolution: "node16", ...nodeLib }],
    ["nodenext", { module: "nodenext", moduleResolution: "nodenext", ...nodeLib }],
    ["bundler", { module: "esnext", moduleResolution: "bundler", ...nodeLib }],
  ])(
    "every subpath, moduleResolution %s",
    (name, options) => {
      expectTypeChecks(node, `tsconfig.${name}.json`, tsconfig(options, ["src/all.ts"]));
    },
    TSC_TIMEOUT_MS,
  );

  it(
    'the portable subpaths with lib ["ES2022", "DOM"] and no @types/node',
    () => {
      expectTypeChecks(
        bare,
        "tsconfig.json",
        tsconfig(
          { module: "nodenext", moduleResolution: "nodenext", lib: ["ES2022", "DOM"], types: [] },
          ["src/portable.ts"],
        ),
      );
    },
    TSC_TIMEOUT_MS,
  );

  it(
    "a CommonJS project loads the package with import() (module node16)",
    () => {
      node.write(
        "cjs/index.ts",
        [
          `export async function sri(text: string): Promise<string> {`,
          `  const { parseHash, formatHash } = await import("nix-compat/core");`,
          `  return formatHash(parseHash(text), "sri");`,
          `}`,
          ``,
        ].join("\n"),
      );
      expectTypeChecks(
        node,
        "cjs/tsconfig.json",
        tsconfig(
          // (the declarations are checked above; this is about the module format)
          { module: "node16", moduleResolution: "node16", types: ["node"], skipLibCheck: true },
          ["index.ts"],
        ),
      );
    },
    TSC_TIMEOUT_MS,
  );
});

describe("a CommonJS consumer at run time", () => {
  it("loads the package with import(), and with require() where Node can (20.19+, 22.12+)", () => {
    const code = [
      `import("nix-compat/core").then(({ formatHash, parseHash }) => {`,
      `  const h = parseHash("sha256:00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq");`,
      `  const viaRequire = process.features.require_module ? require("nix-compat").formatHash(h, "sri") : "";`,
      `  console.log(formatHash(h, "sri"), viaRequire);`,
      `});`,
    ].join("\n");
    const r = spawnSync(process.execPath, ["-e", code], {
      cwd: join(node.dir, "cjs"),
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    const sri = "sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM=";
    const [viaImport, viaRequire] = r.stdout.trim().split(" ");
    expect(viaImport).toBe(sri);
    if (viaRequire) expect(viaRequire).toBe(sri);
  });
});

describe("the tarball", () => {
  it("ships no source map that points at something missing (it ships none)", () => {
    const root = join(node.dir, "node_modules", "nix-compat");
    const shipped = new Set(pack.files);
    const broken: string[] = [];
    let maps = 0;
    for (const file of pack.files.filter((f) => f.endsWith(".js") || f.endsWith(".d.ts"))) {
      const m = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(root, file), "utf8"));
      if (m === null) continue;
      maps++;
      const map = join(file, "..", m[1]!);
      if (!shipped.has(map)) {
        broken.push(`${file} -> ${map}`);
        continue;
      }
      const { sources } = JSON.parse(readFileSync(join(root, map), "utf8")) as {
        sources: string[];
      };
      for (const s of sources) if (!shipped.has(join(map, "..", s))) broken.push(`${map} -> ${s}`);
    }
    expect(broken).toEqual([]);
    expect(maps).toBe(0);
    expect(pack.files.filter((f) => f.endsWith(".map"))).toEqual([]);
  });

  it("holds no sources, tests or fixtures, and reports its size", () => {
    const tops = new Set(pack.files.map((f) => f.split("/")[0]));
    for (const dir of ["src", "test", "fixtures", "bench", "examples", "node_modules"]) {
      expect(tops.has(dir), dir).toBe(false);
    }
    expect(tops.has("dist") && tops.has("package.json")).toBe(true);
    const installed = join(node.dir, "node_modules", "nix-compat");
    expect(sizeOf(installed)).toBe(pack.unpackedSize);
    process.stdout.write(
      `packed package: ${pack.size} bytes, ${pack.unpackedSize} bytes unpacked, ${pack.files.length} files\n`,
    );
  });
});

function sizeOf(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((n, e) => n + sizeOf(join(path, e)), 0);
}
