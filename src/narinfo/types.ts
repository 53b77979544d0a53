/**
 * The narinfo model: what a `.narinfo` file says, plus how it was written.
 *
 * A {@link NarInfo} holds the meaning of every known field (parsed and validated) and, in
 * {@link NarInfo.quirks} and {@link NarInfo.unknownFields}, what is needed to print the file
 * back byte for byte: hash encodings, `Deriver: unknown-deriver`, an absent `References`
 * line, unknown fields and a non-canonical line order. `Compression` absent is
 * `compression: undefined`, `FileHash`/`FileSize` absent are `undefined`, references keep the
 * order they were written in.
 *
 * @module
 */
import type { ContentAddress } from "../core/content-address.js";
import type { Hash, HashEncoding } from "../core/hash.js";
import type { StorePath } from "../core/store-path.js";
import type { Signature } from "../signing/keys.js";

/** A field the model does not know, kept as written (in its place, see {@link NarInfoQuirks.fieldOrder}). */
export interface NarInfoUnknownField {
  /** The key as written. */
  readonly key: string;
  /** The value as written (may be empty). */
  readonly value: string;
}

/**
 * How a narinfo was written where it differs from what Nix writes today. Printing uses these
 * to reproduce the text exactly; {@link normaliseNarInfo} resets them.
 */
export interface NarInfoQuirks {
  /** Encoding of `NarHash` (Nix writes `nix32`; some caches write `base16`). */
  readonly narHashEncoding: HashEncoding;
  /** Encoding of `FileHash` (Nix writes `nix32`; Cachix serves `base16`). Ignored when absent. */
  readonly fileHashEncoding: HashEncoding;
  /** Encoding of the digest in `CA` (Nix writes `nix32`). Ignored when absent. */
  readonly caHashEncoding: Exclude<HashEncoding, "sri">;
  /** True when there was no `References` line at all (not even an empty one). */
  readonly referencesAbsent: boolean;
  /** True when the file said `Deriver: unknown-deriver` (then `deriver` is undefined). */
  readonly unknownDeriver: boolean;
  /**
   * The keys of the lines in the order they were written, when it is not the canonical
   * order (StorePath, URL, Compression, FileHash, FileSize, NarHash, NarSize, References,
   * Deriver, System, Sig..., CA, then unknown fields); `undefined` when it is.
   */
  readonly fieldOrder: readonly string[] | undefined;
  /** `NarSize` as written when it is not plain decimal (a `+`, leading zeros: Nix 2.8 reads them). */
  readonly narSizeText?: string;
  /** `FileSize` as written when it is not plain decimal. */
  readonly fileSizeText?: string;
  /**
   * `References` as written when it repeats a reference or has extra spaces (Nix 2.8 reads
   * the set of the space-separated words); `references` then holds each once, in the order
   * first written.
   */
  readonly referencesText?: string;
  /**
   * Per `Sig` line (index as in `signatures`), the text as written when its base64 is not
   * canonical (no padding, text after `=`, non-zero trailing bits: Nix 2.8's decoder reads
   * them); `undefined` entries were canonical.
   */
  readonly signatureTexts?: readonly (string | undefined)[];
  /**
   * Lines that a later line with the same key replaced (Nix 2.8 keeps the last), in the order
   * written; where they stood is in `fieldOrder`.
   */
  readonly supersededLines?: readonly NarInfoUnknownField[];
}

/** A parsed `.narinfo`. */
export interface NarInfo {
  /** `StorePath`: the store path described. */
  readonly storePath: StorePath;
  /** `URL`: where the (compressed) NAR is, relative to the cache. */
  readonly url: string;
  /** `Compression`, or `undefined` when absent (Nix then assumes `bzip2`). */
  readonly compression: string | undefined;
  /** `FileHash`: hash of the file at `url` (sha256), if given. */
  readonly fileHash: Hash | undefined;
  /** `FileSize`: size of the file at `url`, if given. */
  readonly fileSize: number | undefined;
  /** `NarHash`: sha256 of the NAR. */
  readonly narHash: Hash;
  /** `NarSize`: size of the NAR in bytes (never 0). */
  readonly narSize: number;
  /** `References`, in the order written (Nix writes them sorted; see `referencesOutOfOrder`). */
  readonly references: readonly StorePath[];
  /** `Deriver`, if known. */
  readonly deriver: StorePath | undefined;
  /** `System`, if given. */
  readonly system: string | undefined;
  /** Every `Sig` line, in order. */
  readonly signatures: readonly Signature[];
  /** `CA`: the content address, for content-addressed paths. */
  readonly ca: ContentAddress | undefined;
  /** Fields the model does not know, in order. */
  readonly unknownFields: readonly NarInfoUnknownField[];
  /** How the file was written (see {@link NarInfoQuirks}). */
  readonly quirks: NarInfoQuirks;
}

/** The quirks of a narinfo written exactly as Nix writes it. */
export const CANONICAL_QUIRKS: NarInfoQuirks = Object.freeze({
  narHashEncoding: "nix32",
  fileHashEncoding: "nix32",
  caHashEncoding: "nix32",
  referencesAbsent: false,
  unknownDeriver: false,
  fieldOrder: undefined,
});

/** The known keys, in the order Nix writes them. */
export const NARINFO_KEYS: readonly string[] = [
  "StorePath",
  "URL",
  "Compression",
  "FileHash",
  "FileSize",
  "NarHash",
  "NarSize",
  "References",
  "Deriver",
  "System",
  "Sig",
  "CA",
];

/** What Nix assumes when a narinfo has no `Compression` line. */
export const DEFAULT_COMPRESSION = "bzip2";

/** The compression a narinfo means: its `Compression`, or `bzip2` when absent (as Nix reads it). */
export function effectiveCompression(info: NarInfo): string {
  return info.compression ?? DEFAULT_COMPRESSION;
}

/** The largest size accepted in `NarSize`/`FileSize` (the grammar's limit, see src/grammar/narinfo.ts). */
export { MAX_NARINFO_SIZE } from "../grammar/narinfo.js";
