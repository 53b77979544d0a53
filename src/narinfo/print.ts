/**
 * Printing a {@link NarInfo} back to `.narinfo` text.
 *
 * With canonical quirks ({@link CANONICAL_QUIRKS}) the output is what Nix writes
 * (`NarInfo::to_string`): StorePath, URL, Compression, FileHash, FileSize, NarHash, NarSize,
 * References, Deriver, System, Sig..., CA, each `Key: value\n`, absent optional fields left
 * out. Unknown fields follow at the end. With the quirks recorded by `parseNarInfo`, the
 * output is the parsed text, byte for byte.
 *
 * @module
 */

import {
  type ContentAddress,
  contentAddressPrefix,
  formatContentAddress,
} from "../core/content-address.js";
import { formatDigest, formatHash, type Hash, type HashEncoding } from "../core/hash.js";
import { DEFAULT_STORE_DIR, type StorePath } from "../core/store-path.js";
import { formatSignature } from "../signing/keys.js";
import { sameSignature, signatureAsNix } from "../signing/signature-spelling.js";
import { NARINFO_KEYS, type NarInfo } from "./types.js";

/** Options for {@link printNarInfo}. */
export interface PrintNarInfoOptions {
  /** Store directory for `StorePath`, default `/nix/store`. */
  readonly storeDir?: string;
}

/** Prints the value of the `CA` field, with the digest in `encoding` (Nix uses nix32). */
export function formatNarInfoContentAddress(
  ca: ContentAddress,
  encoding: Exclude<HashEncoding, "sri"> = "nix32",
): string {
  if (encoding === "nix32") return formatContentAddress(ca);
  return `${contentAddressPrefix(ca.method)}${ca.hash.algorithm}:${formatDigest(ca.hash, encoding)}`;
}

function hashText(hash: Hash, encoding: HashEncoding): string {
  return formatHash(hash, encoding);
}

/** A size as written (`+12`, `012`) when that still says `n`, else plain decimal. */
function sizeText(n: number, written: string | undefined): string {
  return written !== undefined && Number(written.replace(/^\+/, "")) === n ? written : String(n);
}

/** True if a `References` value as written (Nix's reading: words, each once) still says `refs`. */
function sameReferences(written: string, refs: readonly StorePath[]): boolean {
  const words = [...new Set(written.split(" ").filter((w) => w.length > 0))];
  return (
    words.length === refs.length && words.every((w, i) => w === `${refs[i]!.hash}-${refs[i]!.name}`)
  );
}

/** Prints a narinfo. The result always ends in a newline. */
export function printNarInfo(info: NarInfo, options: PrintNarInfoOptions = {}): string {
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const q = info.quirks;
  const line = (key: string, i: number): string | undefined => {
    switch (key) {
      case "StorePath":
        return `StorePath: ${storeDir}/${info.storePath.hash}-${info.storePath.name}\n`;
      case "URL":
        return `URL: ${info.url}\n`;
      case "Compression":
        return info.compression === undefined ? undefined : `Compression: ${info.compression}\n`;
      case "FileHash":
        return info.fileHash === undefined
          ? undefined
          : `FileHash: ${hashText(info.fileHash, q.fileHashEncoding)}\n`;
      case "FileSize":
        return info.fileSize === undefined
          ? undefined
          : `FileSize: ${sizeText(info.fileSize, q.fileSizeText)}\n`;
      case "NarHash":
        return `NarHash: ${hashText(info.narHash, q.narHashEncoding)}\n`;
      case "NarSize":
        return `NarSize: ${sizeText(info.narSize, q.narSizeText)}\n`;
      case "References": {
        const refs = info.references;
        if (refs.length === 0 && q.referencesAbsent) return undefined;
        if (q.referencesText !== undefined && sameReferences(q.referencesText, refs)) {
          return `References: ${q.referencesText}\n`;
        }
        let s = "References: ";
        for (let k = 0; k < refs.length; k++) {
          const r = refs[k]!;
          s += k === 0 ? `${r.hash}-${r.name}` : ` ${r.hash}-${r.name}`;
        }
        return `${s}\n`;
      }
      case "Deriver":
        if (info.deriver !== undefined) {
          return `Deriver: ${info.deriver.hash}-${info.deriver.name}\n`;
        }
        return q.unknownDeriver ? "Deriver: unknown-deriver\n" : undefined;
      case "System":
        return info.system === undefined ? undefined : `System: ${info.system}\n`;
      case "Sig": {
        const sig = info.signatures[i];
        if (sig === undefined) return undefined;
        const written = q.signatureTexts?.[i];
        if (written !== undefined && sameSignature(signatureAsNix(written), sig)) {
          return `Sig: ${written}\n`;
        }
        return `Sig: ${formatSignature(sig)}\n`;
      }
      case "CA":
        return info.ca === undefined
          ? undefined
          : `CA: ${formatNarInfoContentAddress(info.ca, q.caHashEncoding)}\n`;
      default:
        return undefined;
    }
  };

  let out = "";
  if (q.fieldOrder === undefined) {
    for (const key of NARINFO_KEYS) {
      if (key === "Sig") {
        for (let i = 0; i < info.signatures.length; i++) out += line("Sig", i) ?? "";
      } else out += line(key, 0) ?? "";
    }
    for (const f of info.unknownFields) out += `${f.key}: ${f.value}\n`;
    return out;
  }

  // Non-canonical order: follow the recorded keys, then add whatever the value holds beyond
  // them (e.g. a signature added after parsing) in canonical places.
  const done = new Set<string>();
  let sigIndex = 0;
  let unknownIndex = 0;
  const order = q.fieldOrder;
  let lastSig = -1;
  for (let k = 0; k < order.length; k++) if (order[k] === "Sig") lastSig = k;
  // lines a later one replaced: printed as written where they stood
  const superseded = [...(q.supersededLines ?? [])];
  const lastOf = new Map<string, number>();
  for (let k = 0; k < order.length; k++) lastOf.set(order[k]!, k);
  for (let k = 0; k < order.length; k++) {
    const key = order[k]!;
    if (lastOf.get(key) !== k && superseded[0]?.key === key) {
      const f = superseded.shift()!;
      out += `${f.key}: ${f.value}\n`;
      continue;
    }
    if (key === "Sig") {
      out += line("Sig", sigIndex) ?? "";
      sigIndex++;
      if (k === lastSig) {
        for (; sigIndex < info.signatures.length; sigIndex++) out += line("Sig", sigIndex) ?? "";
      }
    } else if (NARINFO_KEYS.includes(key)) {
      if (!done.has(key)) {
        done.add(key);
        out += line(key, 0) ?? "";
      }
    } else {
      const f = info.unknownFields[unknownIndex];
      if (f !== undefined && f.key === key) {
        out += `${f.key}: ${f.value}\n`;
        unknownIndex++;
      }
    }
  }
  for (const key of NARINFO_KEYS) {
    if (key === "Sig") {
      for (; sigIndex < info.signatures.length; sigIndex++) out += line("Sig", sigIndex) ?? "";
    } else if (!done.has(key)) out += line(key, 0) ?? "";
  }
  for (; unknownIndex < info.unknownFields.length; unknownIndex++) {
    const f = info.unknownFields[unknownIndex]!;
    out += `${f.key}: ${f.value}\n`;
  }
  return out;
}
