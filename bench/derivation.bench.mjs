// Derivations: ATerm parse and print speed on the bundled corpus (fixtures/bench) (2000 real .drv files and two
// large ones), the ratio to V8's JSON.parse on the same derivations' JSON, and
// `nix-compat derivation show` over the 2000 files against `nix show-derivation`.
//
// The corpus is unpacked into bench/.work. For `nix show-derivation`, the files are loaded
// into a chroot store under bench/.work/nix-root (`nix-store --load-db`), since Nix only shows
// derivations that are valid store paths; nothing touches /nix/store.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { escapeHeavyCorpus } from "./escape-heavy.mjs";
import {
  bestOf,
  bestOfEach,
  CLI,
  HAVE_NIX,
  measureCommand,
  printTable,
  REPO_ROOT,
  FIXTURES_DIR,
  timeLoop,
  WORK_DIR,
} from "./lib.mjs";

const lib = await import(join(REPO_ROOT, "dist", "derivation", "index.js"));
const {
  parseDerivationATerm,
  parseDerivationWithGrammar,
  printDerivationATerm,
  printShowDerivationJson,
} = lib;

const TARBALL = join(FIXTURES_DIR, "bench", "drv-corpus.tar.gz");
if (!existsSync(TARBALL)) {
  console.log(`\n## derivations\n(${TARBALL} is absent: skipped)`);
  process.exit(0);
}
mkdirSync(WORK_DIR, { recursive: true });
const DRV_DIR = join(WORK_DIR, "drv");
const LARGE_DIR = join(WORK_DIR, "drv-large");
if (!existsSync(DRV_DIR) || !existsSync(LARGE_DIR)) {
  const r = spawnSync("tar", ["xzf", TARBALL, "-C", WORK_DIR], { stdio: "inherit" });
  if (r.status !== 0) throw new Error("cannot unpack the corpus");
}

const names = readdirSync(DRV_DIR)
  .filter((f) => f.endsWith(".drv"))
  .sort();
const files = names.map((f) => readFileSync(join(DRV_DIR, f)));
const totalBytes = files.reduce((n, b) => n + b.length, 0);
const large = readdirSync(LARGE_DIR)
  .filter((f) => f.endsWith(".drv"))
  .sort()
  .map((f) => ({ name: f.slice(33), bytes: readFileSync(join(LARGE_DIR, f)) }));

const MB = 1e6;
const opts = { minSeconds: 1, rounds: 5 };

// --- parse and print ---------------------------------------------------------------------
const rows = [];
const showJsonOf = (drv, name) =>
  Buffer.from(printShowDerivationJson([{ drvPath: `/nix/store/${name}`, drv }])).toString("utf8");

// Each measurement starts with nothing else alive. Parsing is measured twice: with each result
// thrown away at once, and with the results kept in an array (as `derivation show`, a closure
// walk or any real user keeps them: the collector then pays for what the model allocates),
// beside V8's JSON.parse of the same derivations' JSON, kept likewise, as the gauge.
function measureSet(label, inputs, names) {
  const bytes = inputs.reduce((n, b) => n + b.length, 0);
  globalThis.gc?.();
  const tParse = timeLoop(() => {
    for (const b of inputs) parseDerivationATerm(b);
  }, opts);
  // what the loops keep (a property: the results stay reachable until replaced)
  const kept = { results: undefined };
  globalThis.gc?.();
  const tKept = timeLoop(() => {
    kept.results = undefined;
    kept.results = inputs.map((b) => parseDerivationATerm(b));
  }, opts);
  kept.results = undefined;
  globalThis.gc?.();
  const tGrammar = timeLoop(
    () => {
      for (const b of inputs) parseDerivationWithGrammar(b);
    },
    { minSeconds: 0.3, rounds: 2 },
  );
  let parsed = inputs.map((b) => parseDerivationATerm(b));
  globalThis.gc?.();
  const tPrint = timeLoop(() => {
    for (const d of parsed) printDerivationATerm(d);
  }, opts);
  let jsons = parsed.map((d, i) => showJsonOf(d, names[i]));
  parsed = undefined;
  const jsonBytes = jsons.reduce((n, s) => n + Buffer.byteLength(s), 0);
  globalThis.gc?.();
  const tJson = timeLoop(() => {
    kept.results = undefined;
    kept.results = jsons.map((s) => JSON.parse(s));
  }, opts);
  kept.results = undefined;
  jsons = undefined;
  rows.push({
    input: label,
    files: inputs.length,
    MB: bytes / MB,
    "parse MB/s": bytes / MB / tParse,
    "parse kept MB/s": bytes / MB / tKept,
    "grammar MB/s": bytes / MB / tGrammar,
    "print MB/s": bytes / MB / tPrint,
    "JSON.parse kept MB/s (same drvs' JSON)": jsonBytes / MB / tJson,
    "kept / JSON.parse rate": bytes / tKept / (jsonBytes / tJson),
  });
}

measureSet("corpus (2000 drvs)", files, names);
for (const l of large)
  measureSet(l.name, [l.bytes], [`00000000000000000000000000000000-${l.name}`]);
printTable(
  `derivations: ATerm parse (results thrown away / kept) and print; grammar: the Parsimmon path alone (targets: parse kept ≥ 121.5 MB/s, print ≥ 254 MB/s: Rust nix-compat; load ${loadAverage()})`,
  rows,
);

// --- derivation show vs nix show-derivation ------------------------------------------------
const showRows = [];
// Ours and Nix's runs alternate (best of 5 each), so a slow spell of the machine hits both.
const storeUri = HAVE_NIX ? loadNixRoot() : undefined;
const paths = names.map((f) => `/nix/store/${f}`);
const [ours, nix] = bestOfEach(5, [
  () => measureCommand(process.execPath, [CLI, "derivation", "show", ...names], { cwd: DRV_DIR }),
  storeUri === undefined
    ? undefined
    : () => measureCommand("nix", ["show-derivation", "--store", storeUri, ...paths]),
]);
showRows.push({
  command: "nix-compat derivation show (2000 files, one process)",
  seconds: ours.seconds,
  "max RSS MiB": (ours.maxRssKiB ?? 0) / 1024,
});
let nixSeconds;
if (nix !== undefined) {
  nixSeconds = nix.seconds;
  showRows.push({
    command: "nix show-derivation (Nix 2.8, same files, chroot store)",
    seconds: nix.seconds,
    "max RSS MiB": (nix.maxRssKiB ?? 0) / 1024,
  });
  const a = measureCommand(process.execPath, [CLI, "derivation", "show", ...names], {
    cwd: DRV_DIR,
    stdout: "pipe",
    rss: false,
  }).stdout;
  const b = measureCommand("nix", ["show-derivation", "--store", storeUri, ...paths], {
    stdout: "pipe",
    rss: false,
  }).stdout;
  showRows.push({
    command: `outputs byte-identical: ${Buffer.compare(a, b) === 0 ? "yes" : "NO"}`,
    seconds: undefined,
  });
}
const node = bestOf(3, () => measureCommand(process.execPath, ["-e", "0"]));
showRows.push({ command: "(node -e 0: process start-up alone)", seconds: node.seconds });
printTable(
  `derivation show over ${names.length} files${nixSeconds ? ` — ours / Nix = ${(ours.seconds / nixSeconds).toFixed(2)} (target ≤ 1; README: Nix 0.337 s)` : ""}`,
  showRows,
);
console.log(`\ncorpus: ${names.length} files, ${(totalBytes / MB).toFixed(2)} MB`);

// --- derivation show of escape-heavy derivations from /nix/store ----------------------------
if (HAVE_NIX) {
  const heavy = escapeHeavyCorpus(2000);
  const heavyBytes = heavy.reduce((n, p) => n + statSync(p).size, 0);
  const rowsHeavy = [];
  const show =
    (extra = []) =>
    () =>
      measureCommand(process.execPath, [...extra, CLI, "derivation", "show", ...heavy]);
  const [oursHeavy, oursOpt, nixHeavy] = bestOfEach(5, [
    show(),
    show(["--opt"]),
    () => measureCommand("nix", ["show-derivation", ...heavy]),
  ]);
  rowsHeavy.push({
    command: "nix-compat derivation show (one process)",
    seconds: oursHeavy.seconds,
    "max RSS MiB": (oursHeavy.maxRssKiB ?? 0) / 1024,
    "ours / Nix": oursHeavy.seconds / nixHeavy.seconds,
  });
  rowsHeavy.push({
    command: "the same with the optimiser on (node --opt: no --no-opt)",
    seconds: oursOpt.seconds,
    "max RSS MiB": (oursOpt.maxRssKiB ?? 0) / 1024,
    "ours / Nix": oursOpt.seconds / nixHeavy.seconds,
  });
  rowsHeavy.push({
    command: "nix show-derivation (Nix 2.8, /nix/store)",
    seconds: nixHeavy.seconds,
    "max RSS MiB": (nixHeavy.maxRssKiB ?? 0) / 1024,
  });
  const a = measureCommand(process.execPath, [CLI, "derivation", "show", ...heavy], {
    stdout: "pipe",
    rss: false,
  }).stdout;
  const b = measureCommand("nix", ["show-derivation", ...heavy], {
    stdout: "pipe",
    rss: false,
  }).stdout;
  rowsHeavy.push({
    command: `outputs byte-identical: ${Buffer.compare(a, b) === 0 ? "yes" : "NO"}`,
  });
  printTable(
    `derivation show of ${heavy.length} escape-heavy derivations (${(heavyBytes / MB).toFixed(1)} MB, nix-instantiate'd into /nix/store) — target ours / Nix ≤ 1.0; load ${loadAverage()}`,
    rowsHeavy,
  );
}

/**
 * The corpus in a chroot store under bench/.work/nix-root (Nix only shows derivations that
 * are in a store); returns the store URI.
 */
function loadNixRoot() {
  const root = join(WORK_DIR, "nix-root");
  const store = join(root, "nix", "store");
  const storeUri = `local?root=${root}`;
  if (!existsSync(join(root, ".loaded"))) {
    mkdirSync(store, { recursive: true });
    let db = "";
    for (const f of names) {
      const data = readFileSync(join(DRV_DIR, f));
      copyFileSync(join(DRV_DIR, f), join(store, f));
      const str = (b) => {
        const len = Buffer.alloc(8);
        len.writeBigUInt64LE(BigInt(b.length));
        return Buffer.concat([len, b, Buffer.alloc((8 - (b.length % 8)) % 8)]);
      };
      const s = (t) => str(Buffer.from(t));
      const nar = Buffer.concat([
        s("nix-archive-1"),
        s("("),
        s("type"),
        s("regular"),
        s("contents"),
        str(data),
        s(")"),
      ]);
      db += `/nix/store/${f}\n${createHash("sha256").update(nar).digest("hex")}\n${nar.length}\n\n0\n`;
    }
    const r = spawnSync("nix-store", ["--store", storeUri, "--load-db"], { input: db });
    if (r.status !== 0) throw new Error(`nix-store --load-db failed: ${r.stderr}`);
    writeFileSync(join(root, ".loaded"), "");
  }
  return storeUri;
}

function loadAverage() {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
}
