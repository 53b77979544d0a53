/**
 * fast-check arbitraries for derivations: the model ({@link arbDerivation}, every output
 * kind, dynamic outputs, raw-byte values), and `builtins.derivation` calls for testing
 * against real Nix ({@link arbDerivationAttrs}, {@link derivationAttrsToNix}).
 *
 * @module
 */
import fc from "fast-check";
import type { ContentAddressMethod } from "../core/content-address.js";
import type { Hash } from "../core/hash.js";
import { HASH_SIZES, NIX_2_8_HASH_ALGORITHMS, type HashAlgorithm } from "../core/hash-algorithm.js";
import { DEFAULT_STORE_DIR } from "../core/store-path.js";
import { fixedOutputStorePath } from "../derivation/hash.js";
import {
  compareNames,
  compareUtf8,
  type Derivation,
  type DerivationOutput,
  type DrvString,
  type OutputSet,
} from "../derivation/types.js";
import { bytesToName, nameToBytes } from "../grammar/aterm-strings.js";
import { arbStorePathHash, arbStorePathName } from "./core.js";

/** Options of {@link arbDerivation}. */
export interface ArbDerivationOptions {
  readonly storeDir?: string;
  /**
   * Allow raw bytes (not UTF-8) in `system`, `builder`, arguments, environment names and
   * values, and empty environment names. Default true.
   */
  readonly rawBytes?: boolean;
  /** Allow dynamic outputs on input derivations. Default true. */
  readonly dynamicOutputs?: boolean;
  /** Output kinds to draw from. Default all. */
  readonly kinds?: readonly ("inputAddressed" | "deferred" | "fixed" | "floating" | "impure")[];
}

/** Text with the characters that need escaping, control characters and non-ASCII, often. */
export const arbDrvText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  {
    weight: 2,
    arbitrary: fc
      .array(
        fc.oneof(
          fc.constantFrom(
            '"',
            "\\",
            "\n",
            "\r",
            "\t",
            "\\n",
            '\\"',
            "é",
            "肥猪",
            "🌮",
            "\u0001",
            "\u007f",
            "$",
          ),
          fc.string({ maxLength: 4 }),
        ),
        { maxLength: 8 },
      )
      .map((parts) => parts.join("")),
  },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 10 }) },
);

/** Bytes that are not valid UTF-8 (so they stay bytes through a parse). */
export const arbRawBytes: fc.Arbitrary<Uint8Array> = fc
  .uint8Array({ maxLength: 8 })
  .map((b) => Uint8Array.from([...b, 0xff]));

/** A {@link DrvString}: mostly text, sometimes raw bytes. */
export function arbDrvString(rawBytes = true): fc.Arbitrary<DrvString> {
  return rawBytes
    ? fc.oneof({ weight: 9, arbitrary: arbDrvText }, { weight: 1, arbitrary: arbRawBytes })
    : arbDrvText;
}

/** A valid output name (a store path name other than `drv`). */
export const arbOutputName: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("out", "dev", "lib", "bin", "doc", "man"),
  arbStorePathName(12).filter((n) => n !== "drv"),
);

/** An absolute store path, optionally with a fixed suffix on the name (e.g. `.drv`). */
export function arbAbsoluteStorePath(
  storeDir = DEFAULT_STORE_DIR,
  suffix = "",
): fc.Arbitrary<string> {
  return fc
    .tuple(arbStorePathHash, arbStorePathName(30 - suffix.length))
    .map(([h, n]) => `${storeDir}/${h}-${n}${suffix}`);
}

const arbMethod: fc.Arbitrary<ContentAddressMethod> = fc.constantFrom("flat", "nar", "text");

function arbHashOf(algorithm: HashAlgorithm): fc.Arbitrary<Hash> {
  const n = HASH_SIZES[algorithm];
  return fc.uint8Array({ minLength: n, maxLength: n }).map((digest) => ({ algorithm, digest }));
}

function sortedMap<V>(entries: [string, V][]): Map<string, V> {
  return new Map(entries.sort((a, b) => compareNames(a[0], b[0])));
}

/** An environment name: text, sometimes empty or raw bytes (as lone surrogates, see `bytesToName`). */
function arbEnvNameOf(rawBytes: boolean): fc.Arbitrary<string> {
  return rawBytes
    ? fc.oneof(
        { weight: 8, arbitrary: arbDrvText },
        { weight: 1, arbitrary: arbRawBytes.map(bytesToName) },
        { weight: 1, arbitrary: fc.constant("") },
      )
    : arbDrvText;
}

function uniqueNames(min: number, max: number): fc.Arbitrary<string[]> {
  return fc
    .uniqueArray(arbOutputName, { minLength: min, maxLength: max })
    .map((xs) => xs.sort(compareUtf8));
}

function arbOutputSet(depth: number, dynamic: boolean): fc.Arbitrary<OutputSet> {
  const leaf = uniqueNames(1, 3).map(
    (outputs) => ({ outputs, dynamicOutputs: new Map() }) as OutputSet,
  );
  if (!dynamic || depth <= 0) return leaf;
  return fc.oneof(
    { weight: 4, arbitrary: leaf },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          uniqueNames(0, 2),
          fc.uniqueArray(fc.tuple(arbOutputName, arbOutputSet(depth - 1, dynamic)), {
            minLength: 1,
            maxLength: 2,
            selector: (e) => e[0],
          }),
        )
        .map(([outputs, dyn]) => ({ outputs, dynamicOutputs: sortedMap(dyn) })),
    },
  );
}

function arbOutputs(
  name: string,
  kind: NonNullable<ArbDerivationOptions["kinds"]>[number],
  storeDir: string,
): fc.Arbitrary<Map<string, DerivationOutput>> {
  switch (kind) {
    case "inputAddressed":
      return fc
        .tuple(
          uniqueNames(1, 3),
          fc.array(arbAbsoluteStorePath(storeDir), { minLength: 3, maxLength: 3 }),
        )
        .map(([names, paths]) =>
          sortedMap(names.map((n, i) => [n, { kind: "inputAddressed", path: paths[i]! }])),
        );
    case "deferred":
      return uniqueNames(1, 3).map((names) =>
        sortedMap(names.map((n) => [n, { kind: "deferred" }])),
      );
    case "fixed":
      return fc
        .tuple(arbMethod, fc.constantFrom(...NIX_2_8_HASH_ALGORITHMS))
        .chain(([method, algorithm]) =>
          arbHashOf(method === "text" ? "sha256" : algorithm).map((hash) => {
            const o = { kind: "caFixed" as const, method, hash };
            const path = fixedOutputStorePath(name, "out", o, storeDir);
            return new Map<string, DerivationOutput>([["out", { ...o, path }]]);
          }),
        );
    case "floating":
    case "impure":
      return fc
        .tuple(uniqueNames(1, 3), arbMethod, fc.constantFrom(...NIX_2_8_HASH_ALGORITHMS))
        .map(([names, method, algorithm]) =>
          sortedMap(
            names.map((n) => [
              n,
              kind === "floating"
                ? { kind: "caFloating", method, algorithm }
                : { kind: "impure", method, algorithm },
            ]),
          ),
        );
  }
}

/** An arbitrary derivation (sorted maps, as the parser produces them) with `env.name` set. */
export function arbDerivation(options: ArbDerivationOptions = {}): fc.Arbitrary<Derivation> {
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const raw = options.rawBytes ?? true;
  const kinds = options.kinds ?? ["inputAddressed", "deferred", "fixed", "floating", "impure"];
  return fc
    .tuple(
      arbStorePathName(20).filter((n) => !n.endsWith(".drv")),
      fc.constantFrom(...kinds),
    )
    .chain(([name, kind]) =>
      fc.record({
        name: fc.constant(name),
        outputs: arbOutputs(name, kind, storeDir),
        inputDrvs: fc
          .uniqueArray(
            fc.tuple(
              arbAbsoluteStorePath(storeDir, ".drv"),
              arbOutputSet(2, options.dynamicOutputs ?? true),
            ),
            { maxLength: 3, selector: (e) => e[0] },
          )
          .map(sortedMap),
        inputSrcs: fc
          .uniqueArray(arbAbsoluteStorePath(storeDir), { maxLength: 3 })
          .map((xs) => xs.sort(compareUtf8)),
        system: arbDrvString(raw),
        builder: arbDrvString(raw),
        args: fc.array(arbDrvString(raw), { maxLength: 4 }),
        env: fc
          .uniqueArray(fc.tuple(arbEnvNameOf(raw), arbDrvString(raw)), {
            maxLength: 6,
            selector: (e) => e[0],
          })
          .map((entries) =>
            sortedMap([
              ...entries.filter(([k]) => k !== "name"),
              ["name", name] as [string, DrvString],
            ]),
          ),
      }),
    )
    .map(({ name: _name, ...drv }) => drv as Derivation);
}

// --- builtins.derivation calls --------------------------------------------------------------

/**
 * A `builtins.derivation` call, for instantiating with real Nix. Strings may hold raw bytes
 * that are not UTF-8 as lone surrogates U+DC80–U+DCFF (see `bytesToName`): write the source
 * with {@link derivationAttrsSource}, which turns them back into those bytes.
 */
export interface DerivationAttrs {
  readonly name: string;
  readonly system: string;
  /** Default `/bin/sh`. */
  readonly builder?: string;
  readonly args: readonly string[];
  /** Extra attributes (names never clash with Nix's special ones). */
  readonly env: readonly (readonly [string, string])[];
  /** Output names (input-addressed), when not fixed. */
  readonly outputs: readonly string[];
  /** Fixed output: algorithm, mode and hex digest. */
  readonly fixed?: {
    readonly algorithm: HashAlgorithm;
    readonly recursive: boolean;
    readonly hex: string;
  };
  readonly structuredAttrs: boolean;
  /** Input derivations: nested calls, referenced from attributes `dep0`, `dep1` ... */
  readonly deps: readonly DerivationAttrs[];
  /** Contents of source files (`builtins.toFile`), referenced from `src0`, `src1` ... */
  readonly srcs: readonly string[];
}

/** Text Nix accepts in string literals (no NUL). */
const arbNixText: fc.Arbitrary<string> = arbDrvText.map((s) => s.replace(/\u0000/g, ""));

/**
 * Text with bytes that are not UTF-8 (latin1 or cp1252 letters, stray continuation bytes),
 * as lone surrogates (see {@link DerivationAttrs}); always ends in 0xff, never valid UTF-8.
 */
export const arbRawNixText: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.constantFrom("a", "/bin/", "-", "é", " "),
      fc.integer({ min: 0x80, max: 0xff }).map((b) => String.fromCharCode(0xdc00 + b)),
    ),
    { maxLength: 6 },
  )
  .map((parts) => `${parts.join("")}\udcff`);

/** Mostly text, sometimes raw bytes (see {@link arbRawNixText}). */
const arbNixTextOrRaw: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: arbNixText },
  { weight: 1, arbitrary: arbRawNixText },
);

/** An extra attribute name: `e_...`, raw bytes after `e_`, or empty (all valid in Nix). */
const arbEnvName: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^e_[A-Za-z0-9_']{0,8}$/) },
  { weight: 1, arbitrary: arbRawNixText.map((r) => `e_${r}`) },
  { weight: 1, arbitrary: fc.constant("") },
);

function arbAttrs(depth: number): fc.Arbitrary<DerivationAttrs> {
  return fc.record({
    // Nix 2.8 rejects names with a leading dot
    name: arbStorePathName(20).filter((n) => !n.endsWith(".drv") && !n.startsWith(".")),
    system: fc.oneof(
      { weight: 4, arbitrary: fc.constant("x86_64-linux") },
      {
        weight: 4,
        arbitrary: fc
          .string({ minLength: 1, maxLength: 10 })
          .map((s) => s.replace(/["\\\u0000$]/g, "_")),
      },
      // Nix writes `system` unescaped: no quote or backslash in it
      { weight: 1, arbitrary: arbRawNixText.map((s) => s.replace(/["\\$]/g, "_")) },
    ),
    builder: fc.option(
      arbRawNixText.map((r) => `/bin/${r}`),
      { nil: undefined, freq: 5 },
    ),
    args: fc.array(arbNixTextOrRaw, { maxLength: 3 }),
    env: fc.uniqueArray(fc.tuple(arbEnvName, arbNixTextOrRaw), {
      maxLength: 4,
      selector: (e) => e[0],
    }),
    outputs: fc.oneof(
      fc.constant(["out"]),
      fc.uniqueArray(fc.constantFrom("out", "dev", "lib", "bin", "doc"), {
        minLength: 1,
        maxLength: 3,
      }),
    ),
    fixed: fc.option(
      fc
        .tuple(fc.constantFrom(...NIX_2_8_HASH_ALGORITHMS), fc.boolean())
        .chain(([algorithm, recursive]) =>
          fc
            .uint8Array({ minLength: HASH_SIZES[algorithm], maxLength: HASH_SIZES[algorithm] })
            .map((d) => ({
              algorithm,
              recursive,
              hex: [...d].map((b) => b.toString(16).padStart(2, "0")).join(""),
            })),
        ),
      { nil: undefined, freq: 4 },
    ),
    structuredAttrs: fc.boolean(),
    deps: depth > 0 ? fc.array(arbAttrs(depth - 1), { maxLength: 2 }) : fc.constant([]),
    srcs: fc.array(arbNixText, { maxLength: 2 }),
  });
}

/** Arbitrary `builtins.derivation` calls, with chains of input derivations up to `depth`. */
export function arbDerivationAttrs(depth = 2): fc.Arbitrary<DerivationAttrs> {
  return arbAttrs(depth);
}

/** A Nix string literal for `text` (escapes `"`, `\`, `${`, newline, CR, tab). */
export function nixStringLiteral(text: string): string {
  return `"${text.replace(/[\\"\n\r\t]|\$\{/g, (c) =>
    c === "\n" ? "\\n" : c === "\r" ? "\\r" : c === "\t" ? "\\t" : c === "${" ? "\\${" : `\\${c}`,
  )}"`;
}

/**
 * The bytes of Nix source text from {@link derivationAttrsToNix}: UTF-8, with lone surrogates
 * U+DC80–U+DCFF as the raw bytes they stand for.
 */
export function derivationAttrsSource(text: string): Uint8Array {
  return nameToBytes(text);
}

/** The Nix expression for a call (builder `/bin/sh` unless given). */
export function derivationAttrsToNix(attrs: DerivationAttrs): string {
  const lines: string[] = [
    `name = ${nixStringLiteral(attrs.name)};`,
    `system = ${nixStringLiteral(attrs.system)};`,
    `builder = ${nixStringLiteral(attrs.builder ?? "/bin/sh")};`,
    `args = [ ${attrs.args.map(nixStringLiteral).join(" ")} ];`,
  ];
  if (attrs.structuredAttrs) lines.push("__structuredAttrs = true;");
  if (attrs.fixed) {
    lines.push(`outputHashAlgo = "${attrs.fixed.algorithm}";`);
    lines.push(`outputHash = "${attrs.fixed.hex}";`);
    lines.push(`outputHashMode = "${attrs.fixed.recursive ? "recursive" : "flat"}";`);
  } else {
    lines.push(`outputs = [ ${attrs.outputs.map(nixStringLiteral).join(" ")} ];`);
  }
  for (const [k, v] of attrs.env) lines.push(`${nixStringLiteral(k)} = ${nixStringLiteral(v)};`);
  attrs.deps.forEach((d, i) => {
    lines.push(`dep${i} = ${derivationAttrsToNix(d)};`);
  });
  attrs.srcs.forEach((s, i) => {
    lines.push(`src${i} = builtins.toFile "src${i}" ${nixStringLiteral(s)};`);
  });
  return `(builtins.derivation { ${lines.join(" ")} })`;
}
