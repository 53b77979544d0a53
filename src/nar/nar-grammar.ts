/**
 * The NAR (Nix ARchive) grammar, declared in the codec DSL.
 *
 * ```ebnf
 * nar            = str("nix-archive-1"), nar-obj ;
 * nar-obj        = str("("), nar-obj-inner, str(")") ;
 * nar-obj-inner  = str("type"), str("regular"), regular
 *                | str("type"), str("symlink"), symlink
 *                | str("type"), str("directory"), directory ;
 * regular        = [ str("executable"), str("") ], str("contents"), str(contents) ;
 * symlink        = str("target"), str(target) ;
 * directory      = { directory-entry } ;          (* names strictly increasing as bytes *)
 * directory-entry = str("entry"), str("("), str("name"), str(name), str("node"), nar-obj, str(")") ;
 *
 * str(s) = int(|s|), pad(s) ;  int(n) = u64 little-endian ;  pad(s) = s, zeros to a multiple of 8
 * ```
 *
 * Side conditions, checked on read and on write, each with its error code:
 * - names are non-empty, not `.` or `..`, without `/` or NUL (`nar.invalid-name`), at most
 *   {@link NAR_MAX_NAME_LENGTH} bytes (`nar.limit-exceeded`);
 * - entries strictly increasing by name compared as bytes (`nar.unsorted-entries`,
 *   `nar.duplicate-entry`);
 * - symlink targets non-empty, without NUL (`nar.invalid-target`), at most
 *   {@link NAR_MAX_TARGET_LENGTH} bytes;
 * - exact tokens (`nar.unexpected-token`), zero padding (`nar.nonzero-padding`), nothing after
 *   the root node (`nar.trailing-data`), input complete (`nar.truncated`, a `TruncatedInputError`).
 *
 * In a streaming decode the grammar emits these events: `directory` (a directory starts),
 * `entry` (an entry's name, as bytes), `entry-end`, `regular` (the contents payload; data
 * `{executable}`) and `symlink` (the target bytes).
 *
 * @module
 */

import { tokenChoice } from "../codecs/choice.js";
import type { Codec } from "../codecs/codec.js";
import { event } from "../codecs/event.js";
import { lazy } from "../codecs/lazy.js";
import type { PayloadHandle } from "../codecs/payload.js";
import { payload } from "../codecs/payload.js";
import { constant } from "../codecs/primitives.js";
import { record } from "../codecs/record.js";
import { map, refine } from "../codecs/refine.js";
import { repeatUntil } from "../codecs/repetition.js";
import { bytes, token } from "../codecs/strings.js";
import { compareBytes, utf8Bytes, utf8Text } from "../codecs/wire-bytes.js";
import {
  checkNarName,
  checkNarOrder,
  checkNarTarget,
  NAR_MAGIC,
  NAR_MAX_CONTENTS_SIZE,
  NAR_MAX_DEPTH,
  NAR_MAX_NAME_LENGTH,
  NAR_MAX_TARGET_LENGTH,
} from "./nar-rules.js";
import type { NarEntry, NarNode } from "./types.js";

/**
 * The text of every NAR token, written once: the grammar below is built from it, and the
 * framed tokens and node headers the writers use (`NAR_TOKENS`, `NAR_HEADERS`) are derived
 * from it.
 */
export const NAR_TOKEN_TEXT = {
  magic: NAR_MAGIC,
  open: "(",
  close: ")",
  type: "type",
  regular: "regular",
  executable: "executable",
  empty: "",
  contents: "contents",
  symlink: "symlink",
  target: "target",
  directory: "directory",
  entry: "entry",
  name: "name",
  node: "node",
} as const;
const TEXT = NAR_TOKEN_TEXT;

/**
 * The data of the `regular` event of an executable file and of a plain one: what tells the
 * two alternatives apart, in a streaming decode and to an event writer.
 */
export const NAR_REGULAR_EXECUTABLE = Object.freeze({ executable: true });
/** See {@link NAR_REGULAR_EXECUTABLE}. */
export const NAR_REGULAR_PLAIN = Object.freeze({ executable: false });

/**
 * The names of the grammar's streaming events (see the module comment), for the readers that
 * turn events into nodes.
 */
export const NAR_EVENTS = {
  directory: "directory",
  entry: "entry",
  entryEnd: "entry-end",
  regular: "regular",
  symlink: "symlink",
} as const;
const EV = NAR_EVENTS;

const nameCodec = refine(
  "nar.entry.name",
  bytes("nar.entry.name", { max: NAR_MAX_NAME_LENGTH, limitName: "nar.name" }),
  checkNarName,
);
const targetCodec = refine(
  "nar.symlink.target",
  bytes("nar.symlink.target", { max: NAR_MAX_TARGET_LENGTH, limitName: "nar.target" }),
  checkNarTarget,
);
const contentsCodec = payload("nar.regular.contents", {
  max: NAR_MAX_CONTENTS_SIZE,
  limitName: "nar.contents",
});
const close = (rule: string) => token(TEXT.close, rule);

const regularBody = tokenChoice("nar.regular", {
  [TEXT.executable]: record("nar.regular", {
    empty: token(TEXT.empty, "nar.regular"),
    contentsTag: token(TEXT.contents, "nar.regular"),
    contents: event(EV.regular, contentsCodec, NAR_REGULAR_EXECUTABLE),
    close: close("nar.regular"),
  }),
  [TEXT.contents]: record("nar.regular", {
    contents: event(EV.regular, contentsCodec, NAR_REGULAR_PLAIN),
    close: close("nar.regular"),
  }),
});

const symlinkBody = record("nar.symlink", {
  targetTag: token(TEXT.target, "nar.symlink"),
  target: event(EV.symlink, targetCodec),
  close: close("nar.symlink"),
});

/** The wire form of a directory entry. */
interface WireEntry {
  name: Uint8Array;
  node: NarNode;
}

const entryCodec: Codec<WireEntry> = record("nar.entry", {
  open: token(TEXT.open, "nar.entry"),
  nameTag: token(TEXT.name, "nar.entry"),
  name: event(EV.entry, nameCodec),
  nodeTag: token(TEXT.node, "nar.entry"),
  node: lazy("nar.node", () => narNode, { maxDepth: NAR_MAX_DEPTH }),
  close: event(EV.entryEnd, close("nar.entry")),
}) as Codec<WireEntry>;

const directoryBody = record("nar.directory", {
  start: event(EV.directory, constant(undefined, "nar.directory")),
  entries: repeatUntil<typeof entryCodec, Uint8Array>("nar.directory", entryCodec, {
    more: TEXT.entry,
    end: TEXT.close,
    key: "name",
    pairwise: checkNarOrder,
  }),
});

const wireNode = record("nar.node", {
  open: token(TEXT.open, "nar.node"),
  typeTag: token(TEXT.type, "nar.node"),
  body: tokenChoice("nar.node", {
    [TEXT.regular]: regularBody,
    [TEXT.symlink]: symlinkBody,
    [TEXT.directory]: directoryBody,
  }),
});

type WireNode = { body: Parameters<typeof fromWire>[0] };

const exactUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The text of `bytes`, or `undefined` when it would not give the same bytes back. */
function exactText(bytes: Uint8Array): string | undefined {
  try {
    return exactUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function fromWire(body: { tag: string; value: unknown }): NarNode {
  switch (body.tag) {
    case "regular": {
      const r = body.value as { tag: string; value: { contents: Uint8Array | PayloadHandle } };
      return {
        type: "regular",
        executable: r.tag === "executable",
        contents: r.value.contents as Uint8Array,
      };
    }
    case "symlink": {
      const bytes = (body.value as { target: Uint8Array }).target;
      const target = exactText(bytes);
      return target === undefined
        ? { type: "symlink", target: utf8Text(bytes), targetBytes: bytes }
        : { type: "symlink", target };
    }
    default: {
      const entries = (body.value as { entries: WireEntry[] }).entries;
      return {
        type: "directory",
        entries: entries.map((e) => {
          const name = exactText(e.name);
          return name === undefined
            ? { name: utf8Text(e.name), nameBytes: e.name, node: e.node }
            : { name, node: e.node };
        }),
      };
    }
  }
}

function toWire(node: NarNode): { body: { tag: string; value: unknown } } {
  switch (node.type) {
    case "regular":
      return {
        body: {
          tag: "regular",
          value: {
            tag: node.executable ? "executable" : "contents",
            value: { contents: node.contents },
          },
        },
      };
    case "symlink":
      return {
        body: { tag: "symlink", value: { target: node.targetBytes ?? utf8Bytes(node.target) } },
      };
    case "directory":
      return { body: { tag: "directory", value: { entries: sortedWireEntries(node.entries) } } };
  }
}

/** Entries with their names' bytes, sorted as bytes (the order Nix writes). */
function sortedWireEntries(entries: readonly NarEntry[]): WireEntry[] {
  return entries
    .map((e) => ({ name: e.nameBytes ?? utf8Bytes(e.name), node: e.node }))
    .sort((a, b) => compareBytes(a.name, b.name));
}

/** One NAR node (`nar-obj`), without the magic. */
export const narNode: Codec<NarNode> = map(
  wireNode as unknown as Codec<WireNode>,
  (w) => fromWire(w.body),
  (n) => toWire(n) as WireNode,
  "nar.node",
);

/** A whole NAR: the magic then the root node. Decodes to a {@link NarNode} tree. */
export const narGrammar: Codec<NarNode> = map(
  record("nar", { magic: token(TEXT.magic, "nar.magic"), root: narNode }),
  (w) => w.root,
  (root) => ({ root }),
  "nar",
);
