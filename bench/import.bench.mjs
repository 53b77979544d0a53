// Import cost: what `import("nix-compat")` costs beside `import("nix-compat/core")` (target:
// at most 2×), in process (the import alone, in a fresh process each time) and whole process
// (`node` loading the entry and exiting, start-up included), and which packages each entry
// loads (the root loads no zod: JSON validation is `nix-compat/derivation` and `/schemas`).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { bestOfEach, measureCommand, printTable, ratio, REPO_ROOT } from "./lib.mjs";

const RUNS = 10;
const TRACE = join(REPO_ROOT, "test", "support", "module-trace.mjs");
const entry = (sub) => pathToFileURL(join(REPO_ROOT, "dist", sub, "index.js")).href;
const ENTRIES = [
  ["nix-compat/core", entry("core")],
  ["nix-compat", pathToFileURL(join(REPO_ROOT, "dist", "index.js")).href],
  ["nix-compat/nar", entry("nar")],
  ["nix-compat/narinfo", entry("narinfo")],
  ["nix-compat/derivation", entry("derivation")],
  ["nix-compat/schemas", entry("schemas")],
];

/** Milliseconds the import takes inside a fresh process (start-up excluded). */
function inProcess(url) {
  const code = `const t = performance.now(); await import(${JSON.stringify(url)}); console.log(performance.now() - t);`;
  const r = measureCommand(process.execPath, ["--input-type=module", "-e", code], {
    stdout: "pipe",
    rss: false,
  });
  return { seconds: Number(r.stdout.toString()) / 1000 };
}

/** The whole process: start, import, exit. */
function wholeProcess(url) {
  return measureCommand(
    process.execPath,
    ["--input-type=module", "-e", `await import(${JSON.stringify(url)});`],
    { rss: false },
  );
}

/** Modules the entry loads: from this package, zod, other packages. */
function modules(url) {
  const r = spawnSync(
    process.execPath,
    ["--import", TRACE, "--input-type=module", "-e", `await import(${JSON.stringify(url)});`],
    { encoding: "utf8" },
  );
  const urls = [
    ...new Set(
      r.stderr
        .split("\n")
        .filter((l) => l.startsWith("module-trace file:"))
        .map((l) => l.slice("module-trace ".length)),
    ),
  ];
  const zod = urls.filter((u) => u.includes("/node_modules/zod/")).length;
  const packages = urls.filter((u) => u.includes("/node_modules/")).length - zod;
  return { ours: urls.length - zod - packages, zod, packages };
}

/** The ratio to core; for the root with its verdict (target ≤ 2). */
const times = (seconds, coreSeconds, name) =>
  name === "nix-compat" ? ratio(seconds, coreSeconds, 2) : (seconds / coreSeconds).toFixed(2);

const bare = bestOfEach(RUNS, [
  () => measureCommand(process.execPath, ["-e", "0"], { rss: false }),
])[0];
const inside = bestOfEach(
  RUNS,
  ENTRIES.map(
    ([, url]) =>
      () =>
        inProcess(url),
  ),
);
const whole = bestOfEach(
  RUNS,
  ENTRIES.map(
    ([, url]) =>
      () =>
        wholeProcess(url),
  ),
);
printTable(
  `import cost (best of ${RUNS}, interleaved; node -e 0: ${(bare.seconds * 1000).toFixed(0)} ms)`,
  ENTRIES.map(([name, url], i) => {
    const m = modules(url);
    return {
      entry: name,
      "in process ms": inside[i].seconds * 1000,
      "× core": times(inside[i].seconds, inside[0].seconds, name),
      "whole process ms": whole[i].seconds * 1000,
      "× core ": times(whole[i].seconds, whole[0].seconds, name),
      "our modules": m.ours,
      "zod modules": m.zod,
      "other package modules": m.packages,
    };
  }),
);
