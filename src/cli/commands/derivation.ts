/**
 * `nix-compat derivation ...`: `show`, `validate`, `aterm`, `path`, `hash-modulo`,
 * `output-paths` (contract: `docs/cli.md` of the shared material).
 *
 * `show` prints what Nix 2.8's `nix show-derivation` prints, byte for byte (raw bytes of
 * non-UTF-8 values included); `--json-version 4` prints the `{version: 4, derivations}`
 * document of newer Nix instead. A FILE is read as JSON when it starts with `{`, else as
 * ATerm. Input derivations (for `hash-modulo` and `output-paths`) are read from the
 * directory FILE is in, else from their store path.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { formatJsonPath, NixCompatError, quoteInput } from "../../core/errors.js";
import { compareUtf8 } from "../../core/canonical-json.js";
import { DEFAULT_STORE_DIR } from "../../core/store-path.js";
import { nodeFs, nodeV8 } from "../../node/builtins.js";
import { FileReadAhead } from "../../node/file-read-ahead.js";
import { IO_POOL_NEEDS_IDLE_CORE, IoPool, ioPool } from "../../node/io-pool.js";
import type { Derivation } from "../../derivation/index.js";
import { checkFailed, reportError, usageError } from "../errors.js";
import { readInputBytes, writeStdout, writeStdoutSync } from "../io.js";

/** The parts of the derivation library that ATerm input needs: no zod, no Parsimmon. */
type DerivationLib = typeof import("../../derivation/aterm.js") &
  typeof import("../../derivation/aterm-print.js") &
  typeof import("../../derivation/hash.js") &
  typeof import("../../derivation/validate.js");
let lib: DerivationLib;
/** The JSON converters (and zod with them), loaded only when an input is JSON. */
let jsonLib: typeof import("../../derivation/json.js") | undefined;

/**
 * Loads the derivation library on first use (keeps `nix-compat` start-up light for other
 * commands); the JSON half (zod's ~100 modules) only when `json` is true.
 */
async function load(json = false): Promise<DerivationLib> {
  lib ??= Object.assign(
    {},
    await import("../../derivation/aterm.js"),
    await import("../../derivation/aterm-print.js"),
    await import("../../derivation/hash.js"),
    await import("../../derivation/validate.js"),
  );
  if (json) jsonLib ??= await import("../../derivation/json.js");
  return lib;
}

/** The JSON converters, which {@link load} must have loaded (an input was JSON). */
function json(): NonNullable<typeof jsonLib> {
  if (jsonLib === undefined) throw new Error("internal: derivation JSON converters not loaded");
  return jsonLib;
}

const DRV_BASE = /^[0123456789abcdfghijklmnpqrsvwxyz]{32}-[A-Za-z0-9+\-._?=]+\.drv$/;

interface StoreOpts {
  storeDir?: string;
}

/** JSON when the first non-blank byte opens an object or an array (an ATerm opens with a letter). */
function isJson(bytes: Uint8Array): boolean {
  for (const b of bytes) {
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
    return b === 0x7b || b === 0x5b;
  }
  return false;
}

function withFile<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof NixCompatError && err.file === undefined) throw err.withContext({ file });
    throw err;
  }
}

/** JSON, every byte kept (Nix 2.8 writes values that are not UTF-8 raw into its JSON). */
function parseJsonText(file: string, bytes: Uint8Array): unknown {
  return json().parseDerivationJsonBytes(bytes, { file });
}

interface Loaded {
  drv: Derivation;
  /** The key the document gave (drv path or base name), if any. */
  key?: string;
}

function loadDerivations(file: string, bytes: Uint8Array, storeDir: string): Loaded[] {
  return withFile(file, () => {
    if (!isJson(bytes)) return [{ drv: lib.parseDerivationATerm(bytes, { storeDir }) }];
    const doc = json().readDerivationJson(json().parseDerivationJsonBytes(bytes), { storeDir });
    return doc.entries.map((e) => ({ drv: e.drv, key: e.key }));
  });
}

function loadOne(file: string, bytes: Uint8Array, storeDir: string): Loaded {
  const all = loadDerivations(file, bytes, storeDir);
  if (all.length !== 1) {
    throw new NixCompatError(
      "derivation-json.not-one",
      `expected one derivation, the document holds ${all.length}`,
      { file },
    );
  }
  return all[0]!;
}

function nameFor(file: string, loaded: Loaded): string | undefined {
  if (loaded.drv.name !== undefined) return undefined;
  const base = basename(loaded.key ?? file);
  if (DRV_BASE.test(base)) return base.slice(33, -4);
  return undefined;
}

/**
 * What the single-derivation commands start with: the library, the store directory, the one
 * derivation in `file`, and its name when the file name says it.
 */
async function loadInput(
  file: string,
  opts: StoreOpts,
): Promise<{ storeDir: string; loaded: Loaded; name: string | undefined }> {
  const storeDir = storeDirOf(opts);
  const bytes = await readInputBytes(file);
  await load(isJson(bytes));
  const loaded = loadOne(file, bytes, storeDir);
  return { storeDir, loaded, name: nameFor(file, loaded) };
}

/** Lookup of input derivations next to `file`, else at their store path. */
function lookupNear(file: string, storeDir: string): (drvPath: string) => Derivation {
  const dir = file === "-" ? process.cwd() : dirname(resolve(file));
  return (drvPath) => {
    const base = basename(drvPath);
    for (const candidate of [join(dir, base), join(dir, `${base}.json`), drvPath]) {
      if (nodeFs.existsSync(candidate)) {
        const bytes = nodeFs.readFileSync(candidate);
        const loaded = loadOne(candidate, bytes, storeDir);
        return loaded.drv;
      }
    }
    throw new NixCompatError(
      "derivation.input-not-found",
      `input derivation ${quoteInput(drvPath)} not found next to ${quoteInput(file)} nor in the store`,
      { file },
    );
  };
}

function storeDirOf(opts: StoreOpts): string {
  return opts.storeDir ?? DEFAULT_STORE_DIR;
}

/** A derivation to check for consistency, and where its problems are reported. */
interface ToCheck {
  drv: Derivation;
  name?: string;
  drvPath?: string;
  /** JSON path of the derivation in its document; undefined for a .drv file. */
  prefix?: (string | number)[];
}

/**
 * Every problem `derivation validate` reports for one file: JSON schema problems with their
 * paths, or what a .drv holds that Nix 2.8 reads leniently (duplicates, unknown escapes,
 * trailing bytes); Nix's rules; and, with `checkOutputs`, the consistency `nix derivation add`
 * checks.
 */
async function validateFile(
  file: string,
  bytes: Uint8Array,
  opts: { storeDir: string; checkOutputs: boolean },
): Promise<string[]> {
  const { storeDir } = opts;
  const messages: string[] = [];
  const toCheck: ToCheck[] = [];
  if (isJson(bytes)) {
    await load(true);
    let value: unknown;
    try {
      value = parseJsonText(file, bytes);
    } catch (err) {
      if (!(err instanceof NixCompatError)) throw err;
      return [err.message];
    }
    const problems = json().derivationJsonProblems(value, { storeDir });
    for (const p of problems) messages.push(`${file}: ${formatJsonPath(p.path)}: ${p.message}`);
    if (problems.length === 0) {
      const doc = json().readDerivationJson(value, { storeDir });
      for (const e of doc.entries) {
        const key = e.key;
        toCheck.push({
          drv: e.drv,
          drvPath: key === undefined || key.startsWith("/") ? key : `${storeDir}/${key}`,
          prefix:
            key === undefined ? [] : doc.shape.form === "wrapped" ? ["derivations", key] : [key],
        });
      }
    }
  } else {
    let d: Derivation;
    try {
      d = lib.parseDerivationATerm(bytes, { storeDir, file });
    } catch (err) {
      if (!(err instanceof NixCompatError)) throw err;
      return [err.message];
    }
    for (const q of d.quirks ?? []) {
      messages.push(
        `${file}: byte ${q.offset}: ${q.detail} (Nix 2.8 reads it, Nix never writes it)`,
      );
    }
    const name = nameFor(file, { drv: d });
    const problems = lib.derivationProblems(d, { storeDir, name });
    for (const p of problems) messages.push(`${file}: ${p.message}`);
    if (problems.length === 0) toCheck.push({ drv: d, name });
  }
  if (!opts.checkOutputs) return messages;
  for (const c of toCheck) {
    try {
      const problems = await lib.derivationConsistencyProblems(c.drv, {
        storeDir,
        name: c.name,
        drvPath: c.drvPath,
        lookup: lookupNear(file, storeDir),
      });
      for (const p of problems) {
        messages.push(
          c.prefix === undefined
            ? `${file}: ${p.detail}`
            : `${file}: ${formatJsonPath([...c.prefix, ...(p.position.path ?? [])])}: ${p.detail}`,
        );
      }
    } catch (err) {
      if (!(err instanceof NixCompatError)) throw err;
      messages.push(
        `${file}: cannot check output paths: ${err.detail} (--no-check-outputs skips this check)`,
      );
    }
  }
  return messages;
}

/** Registers this area's commands on `program`. */
export function registerDerivationCommands(program: Command): void {
  const drv = program
    .command("derivation")
    .description("read, write and hash derivations (.drv ATerm and JSON)");

  drv
    .command("show")
    .description(
      "parse .drv (or derivation JSON) files and print JSON keyed by drv path, as `nix show-derivation`",
    )
    .argument("<files...>", ".drv files ('-' for stdin)")
    .option("--store-dir <dir>", "store directory", DEFAULT_STORE_DIR)
    .option(
      "--json-version <n>",
      "1 (Nix 2.8 show-derivation, default) or 4 (nix derivation show, Nix >= 2.33)",
      "1",
    )
    .action(showDerivations);

  drv
    .command("validate")
    .description(
      "validate derivation JSON (any version; keyed or bare) or .drv files; report every problem with its JSON path, what Nix 2.8 reads leniently, and output paths or drv path keys that are not the ones Nix computes",
    )
    .argument("<files...>", "JSON or .drv files ('-' for stdin)")
    .option("--store-dir <dir>", "store directory", DEFAULT_STORE_DIR)
    .option(
      "--no-check-outputs",
      "skip the consistency checks of `nix derivation add` (output paths, their environment variables, the drv path key), for deliberately partial documents",
    )
    .action(async (files: string[], opts: StoreOpts & { checkOutputs: boolean }) => {
      await load();
      const storeDir = storeDirOf(opts);
      let failed = false;
      for (const file of files) {
        const messages = await validateFile(file, await readInputBytes(file), {
          storeDir,
          checkOutputs: opts.checkOutputs,
        });
        if (messages.length > 0) {
          failed = true;
          for (const m of messages) process.stderr.write(`error: ${m}\n`);
        } else {
          await writeStdout(`${file}: ok\n`);
        }
      }
      if (failed) checkFailed();
    });

  drv
    .command("aterm")
    .description("print the ATerm serialisation (the .drv file contents) of a JSON derivation")
    .argument("<file>", "JSON (or .drv) file ('-' for stdin)")
    .option("--store-dir <dir>", "store directory", DEFAULT_STORE_DIR)
    .option(
      "--canonical",
      "print the file Nix writes for the derivation (a .drv Nix would not have written so, e.g. with duplicates, otherwise comes back byte for byte)",
    )
    .action(async (file: string, opts: StoreOpts & { canonical?: boolean }) => {
      const { storeDir, loaded, name } = await loadInput(file, opts);
      const d = name === undefined ? loaded.drv : { ...loaded.drv, name };
      const canonical = opts.canonical === true;
      await writeStdout(withFile(file, () => lib.printDerivationATerm(d, { storeDir, canonical })));
    });

  drv
    .command("path")
    .description("print the /nix/store/...-NAME.drv path of a .drv or JSON derivation")
    .argument("<file>", ".drv or JSON file ('-' for stdin)")
    .option("--store-dir <dir>", "store directory", DEFAULT_STORE_DIR)
    .action(async (file: string, opts: StoreOpts) => {
      const { storeDir, loaded, name } = await loadInput(file, opts);
      await writeStdout(
        `${withFile(file, () => lib.derivationPath(loaded.drv, { storeDir, name }))}\n`,
      );
    });

  drv
    .command("hash-modulo")
    .description("print the lowercase hex hashDerivationModulo of a derivation as written")
    .argument("<file>", ".drv or JSON file ('-' for stdin)")
    .option("--store-dir <dir>", "store directory", DEFAULT_STORE_DIR)
    .action(async (file: string, opts: StoreOpts) => {
      const { storeDir, loaded, name } = await loadInput(file, opts);
      const h = withFile(file, () =>
        lib.hashDerivationModuloSync(loaded.drv, {
          storeDir,
          name,
          lookup: lookupNear(file, storeDir),
        }),
      );
      await writeStdout(`${lib.drvHashHex(h)}\n`);
    });

  drv
    .command("output-paths")
    .description('recompute every output path from scratch; print {"out": "/nix/store/..."}')
    .argument("<file>", ".drv or JSON file ('-' for stdin)")
    .option("--store-dir <dir>", "store directory", DEFAULT_STORE_DIR)
    .action(async (file: string, opts: StoreOpts) => {
      const { storeDir, loaded, name } = await loadInput(file, opts);
      const paths = withFile(file, () =>
        lib.computeOutputPathsSync(loaded.drv, {
          storeDir,
          name,
          lookup: lookupNear(file, storeDir),
        }),
      );
      await writeJsonObject(paths);
    });
}

/** Keys an object keeps as array indices (canonical integers below 2^32 - 1). */
function isArrayIndex(key: string): boolean {
  return /^(?:0|[1-9][0-9]{0,9})$/.test(key) && Number(key) < 4294967295;
}

/**
 * Writes `JSON.stringify(Object.fromEntries(map), null, 2)` and a newline in 64 KiB pieces:
 * the same text (array-index keys first in numeric order, as an object orders them, missing
 * values as `null`) without building the object, an array of its entries and one string of
 * the whole output, which for 10^6 outputs held hundreds of MB at once.
 */
async function writeJsonObject(map: ReadonlyMap<string, string | undefined>): Promise<void> {
  const keys = [...map.keys()];
  const indices = keys.filter(isArrayIndex).sort((a, b) => Number(a) - Number(b));
  const order = indices.length === 0 ? keys : [...indices, ...keys.filter((k) => !isArrayIndex(k))];
  if (order.length === 0) {
    await writeStdout("{}\n");
    return;
  }
  let piece = "{";
  for (let i = 0; i < order.length; i++) {
    const k = order[i]!;
    piece += `${i === 0 ? "" : ","}\n  ${JSON.stringify(k)}: ${JSON.stringify(map.get(k) ?? null)}`;
    if (piece.length >= 1 << 16) {
      await writeStdout(piece);
      piece = "";
    }
  }
  await writeStdout(`${piece}\n}\n`);
}

/**
 * The bytes of a file named like a drv path, which `derivation show` takes for ATerm (as Nix
 * takes a store path), whatever the other inputs are.
 */
function atermBytes(file: string, bytes: Uint8Array): Uint8Array {
  if (isJson(bytes)) {
    throw new NixCompatError(
      "derivation.not-aterm",
      "expected a .drv (ATerm) file named like a drv path, found JSON",
      { file },
    );
  }
  return bytes;
}

/** `file` as one character per byte of its UTF-8 (itself when it is ASCII, as paths mostly are). */
function latin1Path(file: string): string {
  return /^[\x00-\x7f]*$/.test(file) ? file : Buffer.from(file).toString("latin1");
}

/**
 * `basename(file)`, without the character loop of Node's `path.basename` for the common case
 * (which, run thousands of times with the optimiser off, shows in `derivation show`'s profile).
 */
function lastName(file: string): string {
  return file.endsWith("/") ? basename(file) : file.slice(file.lastIndexOf("/") + 1);
}

/**
 * On Node 20, `derivation show` keeps V8's optimising compiler (TurboFan) from this many files
 * on (see {@link showDerivations}); Node 22 and later run without it at any size.
 */
export const SHOW_TURBOFAN_FROM_FILES = 4000;

/**
 * The first V8 major version whose mid-tier compiler (Maglev) is on by default, so that
 * `--no-opt` leaves more than the baseline compiler (V8 12 is Node 22's).
 */
export const V8_WITH_MAGLEV = 12;

/**
 * Where Maglev is there (V8 >= {@link V8_WITH_MAGLEV}), `derivation show` sets no V8 flags
 * below this many files: no function runs long enough for TurboFan or a larger young
 * generation to matter, and `node:v8` (which loads Node's streams, ~40 modules) would be most
 * of what the flags add (Node 24, one drv, compile cache warm: 231 -> 211 M instructions).
 * Node 20 sets them at any size: there `--no-opt` saves more than `node:v8` costs, even for
 * one drv (731 against 866 M instructions).
 */
export const SHOW_V8_FLAGS_FROM_FILES = 64;

/**
 * The V8 flags `derivation show` sets for `files` (unless `node --opt`): `--no-opt` is V8's
 * `--no-turbofan`. A one-shot pass over many files spends more on TurboFan compiling the
 * transcoder than the optimised code saves, and TurboFan's code and zones add to the resident
 * memory as the input grows (Node 24, 8000 drvs: RSS 92 -> 83 MB, less CPU too). Node 22+
 * still has Maglev, the mid tier, then; Node 20 has only the baseline compiler left, which
 * costs more than TurboFan from about {@link SHOW_TURBOFAN_FROM_FILES} files on.
 * `--semi-space-growth-factor=1` keeps the young generation at its starting size: the
 * derivations are garbage as soon as they are printed, so a larger one only grows the
 * resident memory with the input (young generation 8 -> 16 MB from 500 to 8000 drvs) without
 * saving collector time (Node 24 and 20 spent less CPU with it).
 */
export function showV8Flags(files: number, v8Major: number): string[] {
  if (v8Major >= V8_WITH_MAGLEV && files < SHOW_V8_FLAGS_FROM_FILES) return [];
  const flags = ["--semi-space-growth-factor=1"];
  if (v8Major >= V8_WITH_MAGLEV || files < SHOW_TURBOFAN_FROM_FILES) flags.push("--no-opt");
  return flags;
}

let showFlagsSet = false;

/**
 * Sets {@link showV8Flags} for `files` files once per process (unless `node --opt`). The plain
 * form sets them before it looks at its arguments: any loop over thousands of arguments run
 * before (an array destructuring with a rest element is one) is compiled on the stack (OSR)
 * by TurboFan, whose code and compiler pages cost Node 24 ~5 MB of RSS and ~15 ms at 8000 drvs.
 */
function setShowV8Flags(files: number): void {
  if (showFlagsSet || process.execArgv.includes("--opt")) return;
  showFlagsSet = true;
  const flags = showV8Flags(files, Number.parseInt(process.versions.v8, 10));
  if (flags.length === 0) return;
  const v8 = nodeV8();
  for (const flag of flags) {
    try {
      v8.setFlagsFromString(flag);
    } catch {
      // flags frozen in this Node: keep the default
    }
  }
}

/**
 * `derivation show FILES...`: the JSON `nix show-derivation` prints (or, with `jsonVersion`
 * "4", the document of `nix derivation show`). Also run by the CLI without the command tree (`runPlainShow`)
 * for its plain form.
 */
export async function showDerivations(
  files: string[],
  opts: StoreOpts & { jsonVersion: string },
): Promise<void> {
  if (opts.jsonVersion !== "1" && opts.jsonVersion !== "4")
    usageError("--json-version must be 1 or 4");
  setShowV8Flags(files.length);
  // The common case (.drv files named by their drv path) needs neither zod nor the JSON
  // converters: load only the parser and the show printer.
  const show = await import("../../derivation/show.js");
  const { parseDerivationATerm } = await import("../../derivation/aterm.js");
  if (opts.jsonVersion === "4" || files.some((f) => f === "-" || !DRV_BASE.test(lastName(f)))) {
    await load(opts.jsonVersion === "4");
    // drv paths computed here hash whole derivations: node:crypto's hashing then pays for
    // its ~20 ms of loading (drv-named files hash at most a fixed output's path: the portable
    // hashes do that, and the plain form leaves node:crypto unloaded)
    (await import("../../node/hash-backend.js")).installNodeHashing();
  }
  const storeDir = storeDirOf(opts);
  // Keys first (from file names when they are drv paths, as Nix takes the path it is
  // given); derivations are parsed again when printed, so they are never all in memory.
  const sources = new Map<string, { file: string; bytes?: Uint8Array; drv?: Derivation }>();
  for (const file of files) {
    const base = lastName(file);
    if (file !== "-" && DRV_BASE.test(base)) {
      // the argument itself when it is the drv path (one string per file kept, not two)
      let key = `${storeDir}/${base}`;
      if (key === file) key = file;
      if (!sources.has(key)) sources.set(key, { file });
      continue;
    }
    const bytes = file === "-" ? await readInputBytes(file) : nodeFs.readFileSync(file);
    if (isJson(bytes)) await load(true);
    for (const loaded of loadDerivations(file, bytes, storeDir)) {
      const kbase = basename(loaded.key ?? "");
      const drvPath =
        loaded.key?.startsWith("/") === true
          ? loaded.key
          : DRV_BASE.test(kbase)
            ? `${storeDir}/${kbase}`
            : withFile(file, () => lib.derivationPath(loaded.drv, { storeDir }));
      if (!sources.has(drvPath)) sources.set(drvPath, { file, drv: loaded.drv });
    }
  }
  // The files, in the order they are printed (the drv paths' order), read ahead while the
  // main thread transcodes and writes.
  const order = [...sources.keys()].sort(compareUtf8);
  const toRead = order.filter((k) => sources.get(k)!.drv === undefined);
  // Read on the main thread unless NIX_COMPAT_IO_THREADS asks for workers: a drv is a few
  // KiB from the page cache, cheaper to read than a message to a worker is to send. Measured
  // (Node 24, quiet, 3 runs each): 500 drvs 0.22-0.26 s without a worker, 0.32-0.46 s with
  // one; 8000 drvs 0.58-0.67 s against 0.64-0.66 s; the worker adds 17-19 MB of RSS.
  const ahead =
    opts.jsonVersion === "1"
      ? new FileReadAhead(
          toRead.map((k) => latin1Path(sources.get(k)!.file)),
          IO_POOL_NEEDS_IDLE_CORE ? new IoPool(0) : ioPool(),
        )
      : undefined;
  let taken = 0;
  // the transcoded member's bytes, written into one reused buffer (the printer copies them
  // before asking for the next): no fresh buffer, and no external memory, per derivation
  let member = Buffer.allocUnsafe(1 << 16);
  const get = (key: string): Derivation | string | Uint8Array => {
    const src = sources.get(key)!;
    if (src.drv !== undefined) return src.drv;
    if (toRead[taken++] !== key) throw new Error("internal: derivations asked out of order");
    const bytes = atermBytes(src.file, ahead!.take());
    // one byte per character: one-byte strings whatever the file holds, raw bytes kept
    const binary = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
    const fast = show.transcodeShowEntryBinary(key, binary, storeDir);
    if (fast !== undefined) {
      if (fast.length > member.length) member = Buffer.allocUnsafe(2 * fast.length);
      return member.subarray(0, member.write(fast, 0, "latin1"));
    }
    const drv = withFile(src.file, () => parseDerivationATerm(bytes, { storeDir }));
    // Nix names a derivation after its drv path (fixed output paths follow from the name)
    return { ...drv, name: basename(key).slice(33, -4) };
  };
  if (opts.jsonVersion === "4") {
    const entries = [...sources.keys()].map((drvPath) => {
      const src = sources.get(drvPath)!;
      const drv =
        src.drv ??
        withFile(src.file, () =>
          parseDerivationATerm(atermBytes(src.file, nodeFs.readFileSync(src.file)), { storeDir }),
        );
      const b = basename(drvPath);
      return {
        drvPath,
        drv: drv.name !== undefined || !DRV_BASE.test(b) ? drv : { ...drv, name: b.slice(33, -4) },
      };
    });
    await writeStdout(
      `${JSON.stringify(json().derivationsToJsonV4(entries, { storeDir }), null, 2)}\n`,
    );
    return;
  }
  try {
    const chunks = show.showDerivationJsonChunks(order, get, { storeDir, reuseBuffer: true });
    for (const chunk of chunks) {
      writeStdoutSync(chunk);
    }
  } finally {
    ahead!.close();
  }
}

/**
 * The plain form `derivation show FILE...` (no options), run without the command tree and
 * commander; `undefined` for anything else, which the full command tree then runs.
 */
export async function runPlainShow(argv: readonly string[]): Promise<number | undefined> {
  if (argv[1] !== "show" || argv.length < 3) return undefined;
  // first, before anything loops over the files (see setShowV8Flags)
  setShowV8Flags(argv.length - 2);
  const files = argv.slice(2);
  if (files.some((f) => f === "" || f.startsWith("-"))) return undefined;
  try {
    await showDerivations(files, { jsonVersion: "1" });
    return 0;
  } catch (err) {
    return reportError(err);
  }
}
