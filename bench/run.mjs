// `npm run bench`: runs every suite in bench/ (files named *.bench.mjs) in one process each,
// in name order, against the built library (dist/). Pass suite names to run only those:
// `npm run bench -- hash nar`.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { CLI, HAVE_NIX, REPO_ROOT } from "./lib.mjs";

if (!existsSync(CLI)) {
  console.log("building first (npm run build) ...");
  const b = spawnSync("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: "inherit" });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const wanted = process.argv.slice(2);
const suites = readdirSync(join(REPO_ROOT, "bench"))
  .filter((f) => f.endsWith(".bench.mjs"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();
console.log(
  `# nix-compat benchmarks (${HAVE_NIX ? "real Nix found: ratios are ours / Nix" : "Nix NOT found: no ratios"})`,
);
console.log(`node ${process.version}, ${new Date().toISOString()}`);
for (const suite of suites) {
  const r = spawnSync(process.execPath, ["--expose-gc", join(REPO_ROOT, "bench", suite)], {
    stdio: "inherit",
    cwd: REPO_ROOT,
  });
  if (r.status !== 0) console.log(`(suite ${suite} exited with ${r.status})`);
}
