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
import type { Derivation, DerivationOutput, DrvString, OutputSet } from "../derivation/types.js";
import {
  type ATermString,
  atermString,
  binaryToDrvString,
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
  sortedUnique,
  withFile,
} from "./derivation-aterm.js";

const comma = P.string(",");
const str: P.Parser<ATermString> = atermString;

interface GrammarNode {
  outputs: ATermString[];
  dyn: [ATermString, GrammarNode][] | undefined;
  offset: number;
}

/**
 * The output set of an input derivation, `depth` dynamic-output levels down; deeper than `max`
 * it refuses with the limit error, at the same byte the scanner does.
 */
function outputNodeAt(
  depth: number,
  max: number,
  levels: P.Parser<GrammarNode>[],
): P.Parser<GrammarNode> {
  const known = levels[depth];
  if (known !== undefined) return known;
  const child = P.lazy(() => outputNodeAt(depth + 1, max, levels));
  const node: P.Parser<GrammarNode> =
    depth > max
      ? P((_input, i) => {
          throw dynamicOutputsTooDeep(max, i);
        })
      : P.alt(
          P.seqMap(P.index, listOf(str), (idx, outputs) => ({
            outputs,
            dyn: undefined,
            offset: idx.offset,
          })),
          P.seqMap(
            P.index,
            P.string("(")
              .then(listOf(str))
              .skip(comma)
              .chain((outputs) =>
                listOf(P.seq(P.string("(").then(str).skip(comma), child.skip(P.string(")")))).map(
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
  version: ATermString | undefined;
  outputs: [ATermString, ATermString, ATermString, ATermString][];
  inputDrvs: [ATermString, GrammarNode][];
  inputSrcs: ATermString[];
  system: ATermString;
  builder: ATermString;
  args: ATermString[];
  env: [ATermString, ATermString][];
}

function tuple<T extends unknown[]>(...ps: { [K in keyof T]: P.Parser<T[K]> }): P.Parser<T> {
  let acc: P.Parser<unknown[]> = P.string("(").then((ps[0] as P.Parser<unknown>).map((v) => [v]));
  for (let i = 1; i < ps.length; i++) {
    const next = ps[i] as P.Parser<unknown>;
    acc = P.seqMap(acc.skip(comma), next, (xs, x) => [...xs, x]);
  }
  return acc.skip(P.string(")")) as unknown as P.Parser<T>;
}

function bodyWith(outputNode: P.Parser<GrammarNode>) {
  return P.seqMap(
    listOf(tuple<[ATermString, ATermString, ATermString, ATermString]>(str, str, str, str)).skip(
      comma,
    ),
    listOf(tuple<[ATermString, GrammarNode]>(str, outputNode)).skip(comma),
    listOf(str).skip(comma),
    str.skip(comma),
    str.skip(comma),
    listOf(str).skip(comma),
    listOf(tuple<[ATermString, ATermString]>(str, str)),
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
}

/**
 * The derivation grammar with dynamic outputs nested at most `maxDynamicOutputDepth` deep
 * (memoised per limit).
 */
export function derivationGrammarWith(maxDynamicOutputDepth: number): P.Parser<GrammarDrv> {
  const known = grammars.get(maxDynamicOutputDepth);
  if (known !== undefined) return known;
  const body = bodyWith(outputNodeAt(0, maxDynamicOutputDepth, []));
  const grammar = P.alt(
    P.string("Derive(")
      .then(body)
      .map((b) => ({ version: undefined, ...b })),
    P.seqMap(P.string("DrvWithVersion(").then(str).skip(comma), body, (version, b) => ({
      version,
      ...b,
    })),
  ).skip(P.string(")"));
  grammars.set(maxDynamicOutputDepth, grammar);
  return grammar;
}

const grammars = new Map<number, P.Parser<GrammarDrv>>();

/** The derivation grammar (Parsimmon), producing the raw terms; see {@link parseDerivationWithGrammar}. */
export const derivationGrammar: P.Parser<GrammarDrv> =
  derivationGrammarWith(MAX_DYNAMIC_OUTPUT_DEPTH);

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
    const g = runATermParser(
      derivationGrammarWith(options.maxDynamicOutputDepth ?? MAX_DYNAMIC_OUTPUT_DEPTH),
      binary,
    );
    return assembleGrammar(g, options.storeDir ?? DEFAULT_STORE_DIR);
  });
}

function assembleGrammar(g: GrammarDrv, storeDir: string): Derivation {
  const text = (t: ATermString, what: string) => binaryToText(t.value, t.offset, what);
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
  const outputs = new MapBuilder<DerivationOutput>("derivation.duplicate-output", "output");
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
  const names = (ts: ATermString[]) =>
    sortedUnique(
      ts.map((t) => text(t, "output name")),
      ts.map((t) => t.offset),
      "derivation.duplicate-input-drv-output",
      "output name",
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
  const inputDrvs = new MapBuilder<OutputSet>("derivation.duplicate-input-drv", "input derivation");
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
  );
  const system = text(g.system, "system");
  const builder = text(g.builder, "builder");
  const args = g.args.map((a) => binaryToDrvString(a.value));
  const env = new MapBuilder<DrvString>("derivation.duplicate-env", "environment variable");
  for (const [k, v] of g.env) {
    const key = text(k, "environment variable name");
    env.add(key, binaryToDrvString(v.value), k.offset);
  }
  return {
    outputs: outputs.result(),
    inputDrvs: inputDrvs.result(),
    inputSrcs,
    system,
    builder,
    args,
    env: env.result(),
  };
}
