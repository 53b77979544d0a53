/**
 * The NAR declaration compiled: the synchronous decoder, the encoder and the resumable streaming
 * decoder of `narGrammar`, from its checked-in generated code (`nar-grammar.generated.ts`, no `eval`), declining to the
 * interpreter on anything it does not accept as is (so errors are the declaration's).
 *
 * @module
 */
import { type CompiledCodec, fromGenerated } from "../codecs/compile.js";
import { type ResumableCodec, resumableFromGenerated } from "../codecs/decode-resumable.js";
import { narGrammar } from "./nar-grammar.js";
import { narGrammarGenerated } from "./nar-grammar.generated.js";
import { narGrammarResumable } from "./nar-grammar.resumable.generated.js";
import type { NarNode } from "./types.js";

/** The compiled codec of a whole NAR (see `narGrammar`). */
export const narCodec: CompiledCodec<NarNode> = fromGenerated(narGrammar, narGrammarGenerated);

/** The resumable (streaming) decoder of a whole NAR, generated from `narGrammar`. */
export const narResumable: ResumableCodec<NarNode> = resumableFromGenerated(
  narGrammar,
  narGrammarResumable,
);
