/**
 * Issue 14: a bounded, seeded fuzz test of the whole CLI. Every command is fed mutations of
 * valid input of its kind (`.drv` ATerm, derivation JSON, narinfo, secret keys, hashes, store
 * paths, a few NARs) and must keep the contract of `docs/cli.md`: exit 0, or `error:` with
 * exit 1 or 2 — never a stack trace, never a run past the per-run timeout, never a run that
 * raises the process's peak RSS by more than a bound, never a huge error line.
 *
 * The CLI runs in-process (test/support/cli-inprocess.ts), so thousands of runs take seconds.
 * `NIX_COMPAT_FUZZ_RUNS` scales the number of runs (default: a total of about 2,000, ~20 s);
 * `NIX_COMPAT_FUZZ_SEED` changes the seed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { concatBytes } from "../../src/codecs/wire-bytes.js";
import { formatSecretKey, generateSecretKey } from "../../src/signing/keys.js";
import { contractBreach, runCliInProcess } from "../support/cli-inprocess.js";
import { fixturePath } from "../support/fixtures.js";

/** Runs per input kind (scaled by NIX_COMPAT_FUZZ_RUNS / 1000). */
const SCALE = Number(process.env.NIX_COMPAT_FUZZ_RUNS ?? 1000) / 1000;
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
/** A run still going after this long is a hang. */
const RUN_TIMEOUT_MS = 10_000;
/** How far one run may raise the peak RSS of the process. */
const MAX_RSS_GROWTH_KB = 256 * 1024;
/** The longest stderr line a run may print. */
const MAX_ERROR_LINE = 2000;
/** fast-check seed (override with NIX_COMPAT_FUZZ_SEED to explore further). */
const SEED = Number(process.env.NIX_COMPAT_FUZZ_SEED ?? 1414);

const dir = mkdtempSync(join(tmpdir(), "nix-compat-fuzz-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const enc = (s: string) => new TextEncoder().encode(s);

/** Bytes that make parsers take unusual paths: delimiters, escapes, nesting, huge runs. */
const TOKENS: Uint8Array[] = [
  '"',
  "\\",
  "(",
  ")",
  "[",
  "]",
  ",",
  "{",
  "}",
  ":",
  "\n",
  "\r\n",
  "\u0000",
  "-",
  "/nix/store/",
  "sha256:",
  "r:",
  '"__proto__"',
  "1e999",
  "-1",
  'DrvWithVersion("xp-dyn-drv",',
  '(["out"],[("o",'.repeat(300),
  "[".repeat(2000),
  '{"a":'.repeat(2000),
  "a".repeat(70_000),
].map(enc);
TOKENS.push(Uint8Array.of(0xff, 0xfe), Uint8Array.of(0xed, 0xa0, 0x80));

type Op =
  | { t: "flip"; at: number; bit: number }
  | { t: "insert"; at: number; bytes: Uint8Array }
  | { t: "token"; at: number; token: number }
  | { t: "delete"; at: number; len: number }
  | { t: "dup"; at: number; len: number }
  | { t: "truncate"; at: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    t: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    t: fc.constant("token" as const),
    at: fc.nat(),
    token: fc.nat({ max: TOKENS.length - 1 }),
  }),
  fc.record({
    t: fc.constant("delete" as const),
    at: fc.nat(),
    len: fc.integer({ min: 1, max: 40 }),
  }),
  fc.record({
    t: fc.constant("dup" as const),
    at: fc.nat(),
    len: fc.integer({ min: 1, max: 200 }),
  }),
  fc.record({ t: fc.constant("truncate" as const), at: fc.nat() }),
);

/** Applies the mutations in order (positions taken modulo the current length). */
function mutate(seed: Uint8Array, ops: readonly Op[]): Uint8Array {
  let b = seed;
  for (const op of ops) {
    const at = b.length === 0 ? 0 : op.at % (b.length + 1);
    const cat = (...parts: Uint8Array[]) => concatBytes(parts);
    switch (op.t) {
      case "flip":
        if (b.length > 0) {
          b = b.slice();
          b[at % b.length]! ^= 1 << op.bit;
        }
        break;
      case "insert":
        b = cat(b.subarray(0, at), op.bytes, b.subarray(at));
        break;
      case "token":
        b = cat(b.subarray(0, at), TOKENS[op.token]!, b.subarray(at));
        break;
      case "delete":
        b = cat(b.subarray(0, at), b.subarray(at + op.len));
        break;
      case "dup":
        b = cat(b.subarray(0, at + op.len), b.subarray(at, at + op.len), b.subarray(at + op.len));
        break;
      case "truncate":
        b = b.subarray(0, at);
        break;
    }
  }
  return b;
}

const mutationArb = (seeds: number) =>
  fc.record({
    seed: fc.nat({ max: seeds - 1 }),
    ops: fc.array(opArb, { minLength: 1, maxLength: 4 }),
    command: fc.nat(),
  });

/** Writes `bytes` to the file `name` of the fuzz directory (overwritten by the next run). */
function inputFile(bytes: Uint8Array, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** Runs one command line and checks the contract; returns a breach description or undefined. */
async function check(args: string[], input?: Uint8Array): Promise<string | undefined> {
  const before = process.resourceUsage().maxRSS;
  const r = await runCliInProcess(args, { input, timeoutMs: RUN_TIMEOUT_MS });
  const grew = process.resourceUsage().maxRSS - before;
  const breach =
    contractBreach(r, true) ??
    (grew > MAX_RSS_GROWTH_KB ? `peak RSS grew by ${Math.round(grew / 1024)} MB` : undefined) ??
    (r.stderr.split("\n").some((l) => l.length > MAX_ERROR_LINE) ? "a huge error line" : undefined);
  return breach === undefined
    ? undefined
    : `${args.join(" ").slice(0, 200)}: ${breach}: ${r.stderr.slice(0, 300)}`;
}

/** The property of one input kind: mutated seeds through each of `commands`. */
async function fuzz(
  seeds: readonly Uint8Array[],
  numRuns: number,
  commands: readonly ((bytes: Uint8Array) => { args: string[]; input?: Uint8Array })[],
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(mutationArb(seeds.length), async ({ seed, ops, command }) => {
      const bytes = mutate(seeds[seed]!, ops);
      const line = commands[command % commands.length]!(bytes);
      const breach = await check(line.args, line.input);
      if (breach !== undefined) throw new Error(breach);
    }),
    { seed: SEED, numRuns, endOnFailure: true },
  );
}

const drvDir = fixturePath("derivation", "ok");
const drvSeeds = readdirSync(drvDir)
  .filter((f) => f.endsWith(".drv"))
  .map((f) => new Uint8Array(readFileSync(join(drvDir, f))));
const jsonSeeds = readdirSync(drvDir)
  .filter((f) => f.endsWith(".drv.json"))
  .map((f) => new Uint8Array(readFileSync(join(drvDir, f))));
const DRV_NAME = "4wvvbi4jwn0prsdxb7vs673qa5h9gr7x-foo.drv";
const DRV_COMMANDS = ["show", "validate", "aterm", "path", "hash-modulo", "output-paths"];

const narinfoSeeds = readFileSync(fixturePath("narinfo", "cache-nixos-org.narinfo.txt"), "utf8")
  .split(/\n(?=StorePath: )/)
  .slice(0, 20)
  .map((t) => enc(t.endsWith("\n") ? t : `${t}\n`));
const SECRET = generateSecretKey("fuzz-1", new Uint8Array(32).fill(1));
const keyFile = join(dir, "fuzz.sec");
writeFileSync(keyFile, formatSecretKey(SECRET));
const PUBLIC = "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";

const HASH_SEEDS = [
  "sha256:1bb3srw3x77mnck1gk0cbnf1a9915fdrqdjb27y7rxmmlrb3dzjw",
  "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "md5:d41d8cd98f00b204e9800998ecf8427e",
  "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==",
].map(enc);
const PATH_SEEDS = [
  "/nix/store/0a3yijp35sygmy51cnrrz11vimwapz7c-dbus-conf",
  "/nix/store/4wvvbi4jwn0prsdxb7vs673qa5h9gr7x-foo.drv",
  "/nix/store/5vyvcwah9l9kf07d52rcgdk70g2f4y13-foo-1.0_x+y?z=",
].map(enc);
const text = (b: Uint8Array) => Buffer.from(b).toString("latin1");
const NO_SOCKET = `unix://${join(dir, "no-such-socket")}`;

describe("fuzzing the CLI with mutated input of each kind", () => {
  it("mutated .drv files through every derivation command", async () => {
    await fuzz(
      drvSeeds,
      runs(450),
      DRV_COMMANDS.flatMap((cmd) => [
        (b: Uint8Array) => ({ args: ["derivation", cmd, inputFile(b, DRV_NAME)] }),
        (b: Uint8Array) => ({ args: ["derivation", cmd, inputFile(b, "x.drv")] }),
        (b: Uint8Array) => ({ args: ["derivation", cmd, "-"], input: b }),
      ]),
    );
  }, 120_000);

  it("mutated derivation JSON (bytes and values) through every derivation command", async () => {
    // value-level mutations too: a random JSON value in place of a random member
    const valueSeeds = jsonSeeds.map((b) => JSON.parse(text(b)) as Record<string, unknown>);
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: valueSeeds.length - 1 }),
        fc.array(fc.string(), { maxLength: 3 }),
        fc.jsonValue({ maxDepth: 3 }),
        fc.nat(),
        async (seed, path, value, command) => {
          const doc = structuredClone(valueSeeds[seed]!);
          let at: Record<string, unknown> = doc;
          for (const key of path.slice(0, -1)) {
            const keys = Object.keys(at);
            const next = keys.length > 0 ? at[keys[key.length % keys.length]!] : undefined;
            if (next === null || typeof next !== "object") break;
            at = next as Record<string, unknown>;
          }
          const keys = Object.keys(at);
          const name =
            path.length === 0 || keys.length === 0 ? "outputs" : keys[path.length % keys.length]!;
          at[name] = value;
          const cmd = DRV_COMMANDS[command % DRV_COMMANDS.length]!;
          const breach = await check([
            "derivation",
            cmd,
            inputFile(enc(JSON.stringify(doc)), "d.json"),
          ]);
          if (breach !== undefined) throw new Error(breach);
        },
      ),
      { seed: SEED, numRuns: runs(300), endOnFailure: true },
    );
    await fuzz(
      jsonSeeds,
      runs(300),
      DRV_COMMANDS.map((cmd) => (b: Uint8Array) => ({
        args: ["derivation", cmd, inputFile(b, "d.json")],
      })),
    );
  }, 120_000);

  it("mutated narinfos and secret keys through every narinfo and key command", async () => {
    await fuzz(narinfoSeeds, runs(300), [
      (b) => ({ args: ["narinfo", "show", inputFile(b, "x.narinfo")] }),
      (b) => ({ args: ["narinfo", "fingerprint", "-"], input: b }),
      (b) => ({ args: ["narinfo", "verify", "--key", PUBLIC, inputFile(b, "x.narinfo")] }),
      (b) => ({ args: ["narinfo", "sign", "--key-file", keyFile, inputFile(b, "x.narinfo")] }),
    ]);
    const keySeeds = [enc(formatSecretKey(SECRET)), enc(`${formatSecretKey(SECRET)}\n`)];
    await fuzz(keySeeds, runs(150), [
      (b) => ({ args: ["key", "convert-secret-to-public"], input: b }),
      (b) => ({
        args: ["narinfo", "sign", "--key-file", inputFile(b, "k.sec"), "-"],
        input: narinfoSeeds[0],
      }),
      (b) => ({ args: ["narinfo", "verify", "--key", text(b), "-"], input: narinfoSeeds[0] }),
    ]);
  }, 120_000);

  it("mutated hashes and store paths through the hash, store-path and daemon commands", async () => {
    await fuzz(
      HASH_SEEDS,
      runs(300),
      ["to-base16", "to-base32", "to-base64", "to-sri"].flatMap((to) => [
        (b: Uint8Array) => ({ args: ["hash", to, text(b)] }),
        (b: Uint8Array) => ({ args: ["hash", to, "--type", "sha256", text(b)] }),
      ]),
    );
    const anyFile = join(drvDir, DRV_NAME);
    await fuzz(PATH_SEEDS, runs(200), [
      (b) => ({ args: ["store-path", "add", "--name", text(b).slice(11), anyFile] }),
      (b) => ({ args: ["daemon", "path-info", "--store", NO_SOCKET, text(b)] }),
      (b) => ({ args: ["daemon", "is-valid", "--store", NO_SOCKET, text(b)] }),
      (b) => ({ args: ["export-paths", "--store", NO_SOCKET, text(b)] }),
    ]);
  }, 120_000);

  it("a few mutated NARs and export streams (the NAR readers have their own fuzzing)", async () => {
    const narDir = fixturePath("nar");
    const nars = readdirSync(narDir)
      .filter((f) => f.endsWith(".nar"))
      .map((f) => new Uint8Array(readFileSync(join(narDir, f))));
    await fuzz(nars, runs(40), [
      (b) => ({ args: ["nar", "ls", "-R", "--json", inputFile(b, "x.nar"), "/"] }),
      (b) => ({ args: ["nar", "cat", inputFile(b, "x.nar"), "/foo/bar"] }),
      (b) => ({ args: ["import-paths", inputFile(b, "x.export")] }),
    ]);
  }, 120_000);

  it("the runs above stayed within the bounds", () => {
    // every run checks its own RSS growth; this documents the total for the record
    expect(process.resourceUsage().maxRSS).toBeLessThan(2 * 1024 * 1024);
  });
});
