/**
 * The derivation ATerm as a Parsimmon grammar: the declarative reference that the fast
 * scanner of `derivation-aterm.ts` is tested against (same results, same error classes). In
 * its own module so that parsing and printing do not load Parsimmon.
 *
 * ```text
 * drv = "Derive(" body ")" | "DrvWithVersion(" string "," body ")"    (see derivation-aterm.ts)
 * ```
 *
 * @module
 */
import P from "parsimmon";
import { DEFAULT_STORE_DIR } from "../core/store-path.js";
import { checkStorePath, makeOutputFromATerm } from "../derivation/assemble.js";
import { ATermTruncatedError, DerivationFormatError } from "../derivation/errors.js";
import type { NixCompatError } from "../core/errors.js";
import {
  type Derivation,
  type DerivationOutput,
  type DerivationQuirk,
  type DrvString,
  drvStringToDisplay,
  type OutputSet,
} from "../derivation/types.js";
import {
  type ATermString,
  atermString,
  atermStringLenient,
  badEscape,
  binaryToDrvString,
  binaryToName,
  binaryToText,
  bytesToBinary,
  listOf,
  runATermParser,
} from "./aterm.js";
import { MAX_DYNAMIC_OUTPUT_DEPTH } from "../derivation/limits.js";
import {
  DYN_DRV_VERSION,
  dynamicOutputsTooDeep,
  EMPTY_DYN,
  MapBuilder,
  type ParseDerivationOptions,
  quirkOf,
  sortedUnique,
  sortQuirks,
  trailingBytes,
  withFile,
  withSpelling,
} from "./derivation-aterm.js";
import type { GrammarRule } from "./grammar-rule.js";
import { parsimmonOf } from "./parsimmon-rule.js";

const comma = P.string(",");

/** A string term; `unknownEscapes` when read leniently (see `atermStringLenient`). */
type Str = ATermString & {
  readonly unknownEscapes?: readonly { char: string; offset: number }[];
};

interface GrammarNode {
  outputs: Str[];
  dyn: [Str, GrammarNode][] | undefined;
  offset: number;
}

/**
 * The output set of an input derivation, `depth` dynamic-output levels down; deeper than `max`
 * it refuses with the limit error, at the same byte the scanner does. `levels` memoises one
 * rule per depth (the grammar is finite for a given limit).
 */
function outputNodeAt(
  str: P.Parser<Str>,
  depth: number,
  max: number,
  levels: P.Parser<GrammarNode>[],
): P.Parser<GrammarNode> {
  const known = levels[depth];
  if (known !== undefined) return known;
  const list = <T>(p: P.Parser<T>): P.Parser<T[]> => parsimmonOf(listOf(p));
  const child = P.lazy(() => outputNodeAt(str, depth + 1, max, levels));
  const node: P.Parser<GrammarNode> =
    depth > max
      ? P((_input, i) => {
          throw dynamicOutputsTooDeep(max, i);
        })
      : P.alt(
          P.seqMap(P.index, list(str), (idx, outputs) => ({
            outputs,
            dyn: undefined,
            offset: idx.offset,
          })),
          P.seqMap(
            P.index,
            P.string("(")
              .then(list(str))
              .skip(comma)
              .chain((outputs) =>
                list(P.seq(P.string("(").then(str).skip(comma), child.skip(P.string(")")))).map(
                  (dyn) => ({ outputs, dyn }),
                ),
              )
              .skip(P.string(")")),
            (idx, v) => ({ ...v, offset: idx.offset }),
          ),
        );
  levels[depth] = node;
  return node;
}

interface GrammarDrv {
  version: Str | undefined;
  outputs: [Str, Str, Str, Str][];
  inputDrvs: [Str, GrammarNode][];
  inputSrcs: Str[];
  system: Str;
  builder: Str;
  args: Str[];
  env: [Str, Str][];
}

function tuple<T extends unknown[]>(...ps: { [K in keyof T]: P.Parser<T[K]> }): P.Parser<T> {
  let acc: P.Parser<unknown[]> = P.string("(").then((ps[0] as P.Parser<unknown>).map((v) => [v]));
  for (let i = 1; i < ps.length; i++) {
    const next = ps[i] as P.Parser<unknown>;
    acc = P.seqMap(acc.skip(comma), next, (xs, x) => [...xs, x]);
  }
  return acc.skip(P.string(")")) as unknown as P.Parser<T>;
}

/**
 * The derivation grammar over a string rule (strict or lenient), with dynamic outputs nested
 * at most `maxDynamicOutputDepth` deep.
 */
function makeGrammar(
  strRule: GrammarRule<Str>,
  maxDynamicOutputDepth: number,
): P.Parser<GrammarDrv> {
  const str = parsimmonOf(strRule);
  const list = <T>(p: P.Parser<T>): P.Parser<T[]> => parsimmonOf(listOf(p));
  const outputNode = outputNodeAt(str, 0, maxDynamicOutputDepth, []);
  const body = P.seqMap(
    list(tuple<[Str, Str, Str, Str]>(str, str, str, str)).skip(comma),
    list(tuple<[Str, GrammarNode]>(str, outputNode)).skip(comma),
    list(str).skip(comma),
    str.skip(comma),
    str.skip(comma),
    list(str).skip(comma),
    list(tuple<[Str, Str]>(str, str)),
    (outputs, inputDrvs, inputSrcs, system, builder, args, env) => ({
      outputs,
      inputDrvs,
      inputSrcs,
      system,
      builder,
      args,
      env,
    }),
  );
  return P.alt(
    P.string("Derive(")
      .then(body)
      .map((b) => ({ version: undefined, ...b })),
    P.seqMap(P.string("DrvWithVersion(").then(str).skip(comma), body, (version, b) => ({
      version,
      ...b,
    })),
  ).skip(P.string(")"));
}

/** A derivation grammar's result, with the offset of what follows the final `)` when read leniently. */
type GrammarResultDrv = GrammarDrv & { trailing?: number };

const grammars = new Map<string, P.Parser<GrammarResultDrv>>();

/**
 * The derivation grammar for a reading mode: strict (the canonical form only), or as Nix 2.8
 * reads it (unknown escapes read leniently, anything after the final `)` ignored, `trailing`
 * its offset); dynamic outputs nested at most `maxDynamicOutputDepth` deep. Memoised.
 */
function grammarFor(strict: boolean, maxDynamicOutputDepth: number): P.Parser<GrammarResultDrv> {
  const key = `${strict ? "strict" : "lenient"}:${maxDynamicOutputDepth}`;
  const known = grammars.get(key);
  if (known !== undefined) return known;
  const grammar: P.Parser<GrammarResultDrv> = strict
    ? makeGrammar(atermString, maxDynamicOutputDepth)
    : P.seqMap(
        makeGrammar(atermStringLenient, maxDynamicOutputDepth),
        P.index,
        P.all,
        (g, idx, rest) => (rest.length === 0 ? g : { ...g, trailing: idx.offset }),
      );
  grammars.set(key, grammar);
  return grammar;
}

/** The derivation grammar (Parsimmon), producing the raw terms; see {@link parseDerivationWithGrammar}. */
export const derivationGrammar: GrammarRule<GrammarDrv> = grammarFor(
  true,
  MAX_DYNAMIC_OUTPUT_DEPTH,
);

/**
 * Parses a derivation with the Parsimmon grammar: the reference the fast scanner
 * ({@link parseDerivationATerm}) is tested against. Same results, same error classes.
 */
export function parseDerivationWithGrammar(
  bytes: Uint8Array,
  options: ParseDerivationOptions = {},
): Derivation {
  return withFile(options, () => {
    const binary = bytesToBinary(bytes);
    if (
      binary.length < 15 &&
      ("Derive(".startsWith(binary) || "DrvWithVersion(".startsWith(binary))
    ) {
      throw new ATermTruncatedError("aterm.truncated", "unexpected end of input", {
        offset: binary.length,
      });
    }
    const strict = options.strict === true;
    const g = runATermParser(
      grammarFor(strict, options.maxDynamicOutputDepth ?? MAX_DYNAMIC_OUTPUT_DEPTH),
      binary,
    );
    const drv = assembleGrammar(g, options.storeDir ?? DEFAULT_STORE_DIR, strict, binary.length);
    // the reference compares every input with the canonical print of its value
    return withSpelling(drv, bytes);
  });
}

function assembleGrammar(
  g: GrammarDrv & { trailing?: number },
  storeDir: string,
  strict: boolean,
  end: number,
): Derivation {
  const quirks: DerivationQuirk[] = [];
  const lenient = (err: NixCompatError): void => {
    if (strict) throw err;
    quirks.push(quirkOf(err));
  };
  /** Records the unknown escapes of a string term (lenient grammar only). */
  const seen = (t: Str): string => {
    if (t.unknownEscapes !== undefined) {
      for (const e of t.unknownEscapes) quirks.push(quirkOf(badEscape(e.char, e.offset)));
    }
    return t.value;
  };
  const text = (t: Str, what: string) => binaryToText(seen(t), t.offset, what);
  const drvString = (t: Str) => binaryToDrvString(seen(t));
  const dyn = g.version !== undefined;
  if (g.version !== undefined) {
    const v = text(g.version, "version");
    if (v !== DYN_DRV_VERSION) {
      throw new DerivationFormatError(
        "derivation.unknown-version",
        `unknown derivation ATerm version '${v}', expected '${DYN_DRV_VERSION}'`,
        { offset: g.version.offset },
      );
    }
  }
  const outputs = new MapBuilder<DerivationOutput>(
    "derivation.duplicate-output",
    "output",
    false,
    undefined,
    lenient,
    "first",
  );
  for (const [n, p, a, h] of g.outputs) {
    const name = text(n, "output name");
    const out = makeOutputFromATerm(
      name,
      text(p, "output path"),
      text(a, "hash algorithm"),
      text(h, "hash"),
      n.offset,
      storeDir,
    );
    outputs.add(name, out, n.offset);
  }
  const names = (ts: Str[]) =>
    sortedUnique(
      ts.map((t) => text(t, "output name")),
      ts.map((t) => t.offset),
      "derivation.duplicate-input-drv-output",
      "output name",
      undefined,
      dyn ? undefined : lenient,
    );
  const node = (nd: GrammarNode): OutputSet => {
    if (nd.dyn === undefined) return { outputs: names(nd.outputs), dynamicOutputs: EMPTY_DYN };
    if (!dyn) {
      throw new DerivationFormatError(
        "derivation.dynamic-outputs-without-version",
        `dynamic outputs need the DrvWithVersion("${DYN_DRV_VERSION}",...) form`,
        { offset: nd.offset },
      );
    }
    const outs = names(nd.outputs);
    const m = new MapBuilder<OutputSet>("derivation.duplicate-dynamic-output", "dynamic output");
    for (const [k, child] of nd.dyn) m.add(text(k, "output name"), node(child), k.offset);
    return { outputs: outs, dynamicOutputs: m.result() };
  };
  const inputDrvs = new MapBuilder<OutputSet>(
    "derivation.duplicate-input-drv",
    "input derivation",
    false,
    undefined,
    lenient,
    "last",
  );
  for (const [p, nd] of g.inputDrvs) {
    const path = text(p, "input derivation path");
    checkStorePath(path, p.offset, "input derivation", storeDir);
    inputDrvs.add(path, node(nd), p.offset);
  }
  const srcItems = g.inputSrcs.map((t) => text(t, "input source"));
  srcItems.forEach((path, i) => {
    checkStorePath(path, g.inputSrcs[i]!.offset, "input source", storeDir);
  });
  const inputSrcs = sortedUnique(
    srcItems,
    g.inputSrcs.map((t) => t.offset),
    "derivation.duplicate-input-src",
    "input source",
    undefined,
    lenient,
  );
  const system = drvString(g.system);
  const builder = drvString(g.builder);
  const args = g.args.map(drvString);
  // names as binary strings first (`<` is byte order, as Nix sorts them)
  const env = new MapBuilder<DrvString>(
    "derivation.duplicate-env",
    "environment variable",
    true,
    undefined,
    lenient,
    "last",
    (k) => drvStringToDisplay(binaryToName(k)),
  );
  for (const [k, v] of g.env) {
    const key = seen(k);
    env.add(key, drvString(v), k.offset);
  }
  const named = new Map<string, DrvString>();
  for (const [k, v] of env.result()) named.set(binaryToName(k), v);
  if (g.trailing !== undefined) lenient(trailingBytes(g.trailing, end));
  const drv: Derivation = {
    outputs: outputs.result(),
    inputDrvs: inputDrvs.result(),
    inputSrcs,
    system,
    builder,
    args,
    env: named,
  };
  return quirks.length === 0 ? drv : { ...drv, quirks: sortQuirks(quirks) };
}
