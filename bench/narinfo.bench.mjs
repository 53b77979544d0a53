// narinfo: parse (full validation) and print the 652 cache.nixos.org narinfos in process,
// against the Rust nix-compat figures of fixtures/bench/README.md; ed25519 verification and
// signing rates beside them.
import * as crypto from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { printTable, REPO_ROOT, FIXTURES_DIR, timeLoop } from "./lib.mjs";

// Wall time is what the target is about; the CPU column (this process's user + system time)
// stays meaningful when other processes share the machine.

const dist = (p) => import(join(REPO_ROOT, "dist", p));
// (the grammar path alone is not exported: taken from its module)
const { parseNarInfoWithGrammar } = await dist("narinfo/parse.js");
const { parseNarInfo, printNarInfo, verifyNarInfo, signNarInfo, narInfoFingerprint } =
  await dist("narinfo/index.js");
const { narInfoToJson } = await dist("narinfo/json.js");
const {
  parsePublicKey,
  generateSecretKey,
  nobleEd25519Backend,
  nodeCryptoEd25519Backend,
  setEd25519Backend,
} = await dist("signing/index.js");

const corpusFile = join(FIXTURES_DIR, "narinfo", "cache-nixos-org.narinfo.txt");
if (!existsSync(corpusFile)) {
  console.log(`\n## narinfo\n(skipped: ${corpusFile} is absent)`);
  process.exit(0);
}
const text = readFileSync(corpusFile, "utf8");
// Each entry as its own flat string, as a cache client would hold it after a fetch.
const entries = text
  .split("\n\n")
  .map((e, i, all) => (i < all.length - 1 ? `${e}\n` : e))
  .map((e) => Buffer.from(e).toString("utf8"));
const bytes = entries.reduce((n, e) => n + Buffer.byteLength(e), 0);
const parsed = entries.map((e) => parseNarInfo(e));

const RUST_PARSE_US = 4.78;
const RUST_PRINT_US = 4.77;
const TARGET_PER_S = 200_000;

/**
 * Like timeLoop, but also returns the best CPU seconds per iteration (user + system time of
 * this process): on a loaded machine, wall time counts the time other processes had the CPU.
 */
function timeLoopCpu(fn, { minSeconds = 0.5, rounds = 5 } = {}) {
  let wall = Number.POSITIVE_INFINITY;
  let cpu = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round++) {
    let n = 0;
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    let elapsed = 0;
    do {
      fn();
      n++;
      elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    } while (elapsed < minSeconds);
    const c = process.cpuUsage(c0);
    wall = Math.min(wall, elapsed / n);
    cpu = Math.min(cpu, (c.user + c.system) / 1e6 / n);
  }
  return { wall, cpu };
}

const parseT = timeLoopCpu(
  () => {
    for (const e of entries) parseNarInfo(e);
  },
  { minSeconds: 1, rounds: 5 },
);

// Results kept, as a cache client or a closure walk keeps them: the corpus repeated
// KEPT_REPEAT times, every result held in one array until the pass ends (the collector then
// copies and promotes each one instead of freeing it young).
const KEPT_REPEAT = 20;
const keptCount = entries.length * KEPT_REPEAT;
/** Time per pass of `parse` over the repeated corpus with every result kept, per narinfo. */
function keptLoop(parse, repeat = KEPT_REPEAT) {
  const n = entries.length * repeat;
  const t = timeLoopCpu(
    () => {
      const kept = new Array(n);
      for (let i = 0; i < n; i++) kept[i] = parse(entries[i % entries.length]);
      return kept;
    },
    { minSeconds: 1, rounds: 5 },
  );
  return { wall: t.wall / repeat, cpu: t.cpu / repeat };
}
const parseKeptT = keptLoop(parseNarInfo);
// The grammar (Parsimmon) alone: what a narinfo the fast path declines costs.
const grammarT = timeLoopCpu(
  () => {
    for (const e of entries) parseNarInfoWithGrammar(e);
  },
  { minSeconds: 1, rounds: 3 },
);
const grammarKeptT = keptLoop(parseNarInfoWithGrammar, 2);
const printT = timeLoopCpu(
  () => {
    for (const p of parsed) printNarInfo(p);
  },
  { minSeconds: 1, rounds: 5 },
);
const fpT = timeLoopCpu(
  () => {
    for (const p of parsed) narInfoFingerprint(p);
  },
  { minSeconds: 0.5, rounds: 3 },
);

// A gauge of this machine's speed at the time of the run: V8's JSON.parse on the same
// narinfos as `narinfo show` JSON, whose ratio to our parse holds when the machine is slow.
const jsons = parsed.map((p) => JSON.stringify(narInfoToJson(p)));
const jsonT = timeLoopCpu(
  () => {
    for (const j of jsons) JSON.parse(j);
  },
  { minSeconds: 1, rounds: 5 },
);
const jsonKeptT = (() => {
  const n = keptCount;
  const t = timeLoopCpu(
    () => {
      const kept = new Array(n);
      for (let i = 0; i < n; i++) kept[i] = JSON.parse(jsons[i % jsons.length]);
      return kept;
    },
    { minSeconds: 1, rounds: 5 },
  );
  return { wall: t.wall / KEPT_REPEAT, cpu: t.cpu / KEPT_REPEAT };
})();

const row = (work, t, rustUs, target) => {
  const sec = t.wall;
  const us = (sec / entries.length) * 1e6;
  return {
    work,
    "µs/narinfo": us,
    "CPU µs": (t.cpu / entries.length) * 1e6,
    "narinfos/s": Math.round(entries.length / sec),
    "MB/s": bytes / sec / 1e6,
    "Rust µs": rustUs ?? "",
    "vs Rust": rustUs ? `${(us / rustUs).toFixed(2)}×` : "",
    target: target ? (entries.length / sec >= target ? `≥ ${target}/s ✓` : `≥ ${target}/s ✗`) : "",
  };
};

printTable(`narinfo: ${entries.length} cache.nixos.org narinfos, ${(bytes / 1e6).toFixed(2)} MB`, [
  row("parse (full validation), results thrown away", parseT, RUST_PARSE_US, TARGET_PER_S),
  row(`parse, results kept (${keptCount.toLocaleString("en")} in an array)`, parseKeptT),
  row("parse with the grammar alone (Parsimmon), thrown away", grammarT),
  row(
    `parse with the grammar alone, kept (${(entries.length * 2).toLocaleString("en")})`,
    grammarKeptT,
  ),
  row("print", printT, RUST_PRINT_US),
  row("fingerprint", fpT),
  row("JSON.parse of the same narinfos' JSON (machine gauge), thrown away", jsonT),
  row(`JSON.parse of the same JSON, kept (${keptCount.toLocaleString("en")})`, jsonKeptT),
]);

// The verdict, on wall time (the target) and on CPU time (what this process got when other
// processes share the machine).
{
  const perSec = (sec) => Math.round(entries.length / sec);
  const wallRate = perSec(parseT.wall);
  const cpuRate = perSec(parseT.cpu);
  const mark = (rate) => (rate >= TARGET_PER_S ? "✓" : "✗");
  console.log(
    `\nparse with full validation: ${wallRate.toLocaleString("en")} narinfos/s wall ${mark(wallRate)}, ` +
      `${cpuRate.toLocaleString("en")}/s CPU ${mark(cpuRate)} ` +
      `(target ≥ ${TARGET_PER_S.toLocaleString("en")}/s; Rust nix-compat ${perSec((RUST_PARSE_US * entries.length) / 1e6).toLocaleString("en")}/s)`,
  );
  console.log(
    `parse time / JSON.parse time of the same narinfos' JSON: ${(parseT.cpu / jsonT.cpu).toFixed(2)} thrown away, ` +
      `${(parseKeptT.cpu / jsonKeptT.cpu).toFixed(2)} kept (CPU); kept / thrown away: ours ${(parseKeptT.cpu / parseT.cpu).toFixed(2)}, JSON.parse ${(jsonKeptT.cpu / jsonT.cpu).toFixed(2)}`,
  );
}

// Signatures: verify corpus signatures with the cache.nixos.org-1 key, and sign, with the
// portable backend (@noble/ed25519) and with node:crypto (nodeCryptoEd25519Backend).
const key = parsePublicKey("cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=");
const secret = generateSecretKey("bench-1", new Uint8Array(32).fill(7));
const sigRows = [];
for (const [label, backend] of [
  ["@noble/ed25519", nobleEd25519Backend],
  ["node:crypto", nodeCryptoEd25519Backend(crypto)],
]) {
  setEd25519Backend(backend);
  const sample = backend === nobleEd25519Backend ? parsed.slice(0, 64) : parsed;
  let valid = 0;
  const verifySec = timeLoop(
    () => {
      valid = 0;
      for (const p of sample) if (verifyNarInfo(p, [key])) valid++;
    },
    { minSeconds: 1, rounds: 3 },
  );
  const signSec = timeLoop(
    () => {
      for (const p of sample) signNarInfo({ ...p, signatures: [] }, secret);
    },
    { minSeconds: 1, rounds: 3 },
  );
  sigRows.push(
    {
      work: `verify (fingerprint + ed25519), ${label}, ${valid}/${sample.length} valid`,
      "µs each": (verifySec / sample.length) * 1e6,
      "per second": Math.round(sample.length / verifySec),
    },
    {
      work: `sign (fingerprint + ed25519), ${label}`,
      "µs each": (signSec / sample.length) * 1e6,
      "per second": Math.round(sample.length / signSec),
    },
  );
}
setEd25519Backend(nobleEd25519Backend);
printTable("narinfo signatures (ed25519)", sigRows);
