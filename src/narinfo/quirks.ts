/**
 * Telling and removing the ways a narinfo differs from what Nix writes today.
 *
 * @module
 */
import { compareStorePaths } from "../core/store-path.js";
import { CANONICAL_QUIRKS, DEFAULT_COMPRESSION, type NarInfo } from "./types.js";

/** A way a narinfo departs from Nix's own output (stable names, for programs). */
export type NarInfoQuirk =
  | "compression-absent"
  | "file-hash-absent"
  | "file-size-absent"
  | "nar-hash-base16"
  | "nar-hash-base64"
  | "nar-hash-sri"
  | "file-hash-base16"
  | "file-hash-base64"
  | "file-hash-sri"
  | "ca-hash-base16"
  | "ca-hash-base64"
  | "references-absent"
  | "references-out-of-order"
  | "unknown-deriver"
  | "unknown-fields"
  | "non-canonical-order"
  | "size-spelling"
  | "references-spelling"
  | "signature-spelling"
  | "superseded-lines";

/** The quirks of a narinfo, in a fixed order (empty when Nix would write it exactly so). */
export function narInfoQuirks(info: NarInfo): NarInfoQuirk[] {
  const q = info.quirks;
  const out: NarInfoQuirk[] = [];
  if (info.compression === undefined) out.push("compression-absent");
  if (info.fileHash === undefined) out.push("file-hash-absent");
  if (info.fileSize === undefined) out.push("file-size-absent");
  if (q.narHashEncoding !== "nix32") out.push(`nar-hash-${q.narHashEncoding}`);
  if (info.fileHash !== undefined && q.fileHashEncoding !== "nix32") {
    out.push(`file-hash-${q.fileHashEncoding}`);
  }
  if (info.ca !== undefined && q.caHashEncoding !== "nix32")
    out.push(`ca-hash-${q.caHashEncoding}`);
  if (q.referencesAbsent && info.references.length === 0) out.push("references-absent");
  if (referencesOutOfOrder(info)) out.push("references-out-of-order");
  if (info.deriver === undefined && q.unknownDeriver) out.push("unknown-deriver");
  if (info.unknownFields.length > 0) out.push("unknown-fields");
  if (q.fieldOrder !== undefined) out.push("non-canonical-order");
  if (q.narSizeText !== undefined || q.fileSizeText !== undefined) out.push("size-spelling");
  if (q.referencesText !== undefined) out.push("references-spelling");
  if (q.signatureTexts?.some((t) => t !== undefined)) out.push("signature-spelling");
  if (q.supersededLines !== undefined && q.supersededLines.length > 0) {
    out.push("superseded-lines");
  }
  return out;
}

/** True if the references are not sorted the way Nix writes them (by base name). */
export function referencesOutOfOrder(info: NarInfo): boolean {
  const r = info.references;
  for (let i = 1; i < r.length; i++) if (compareStorePaths(r[i - 1]!, r[i]!) > 0) return true;
  return false;
}

/** Options for {@link normaliseNarInfo}. */
export interface NormaliseOptions {
  /** Keep unknown fields (at the end). Default false: Nix drops them. */
  readonly keepUnknownFields?: boolean;
  /** Write `Compression: bzip2` when it was absent (what Nix reads it as). Default true. */
  readonly explicitCompression?: boolean;
}

/**
 * The narinfo as Nix itself would write it: hashes in nix32, references sorted, fields in
 * canonical order, `Deriver: unknown-deriver` dropped, an empty `References` line, unknown
 * fields dropped and the default compression made explicit (unless told otherwise).
 * The signed fingerprint does not change.
 */
export function normaliseNarInfo(info: NarInfo, options: NormaliseOptions = {}): NarInfo {
  return {
    ...info,
    compression:
      info.compression ?? (options.explicitCompression === false ? undefined : DEFAULT_COMPRESSION),
    references: [...info.references].sort(compareStorePaths),
    unknownFields: options.keepUnknownFields ? info.unknownFields : [],
    quirks: CANONICAL_QUIRKS,
  };
}
