/*
 * The findings ledger: Codex's findings tracked across iterations, as pure functions.
 * docs/findings.md explains the rules for people; the constants in similarity.ts are the numbers.
 */

export { type ReviewedFinding, readStillOpen, readTag } from "./answer.ts";
export {
  decideFinding,
  excerpt,
  findStalemate,
  type Stalemate,
  stalemateReason,
  updateLedger,
} from "./ledger.ts";
export { parseFindings } from "./parse.ts";
export { renderLedgerMarkdown, renderOpenFindings, renderReviewerFindings } from "./render.ts";
export {
  FILE_WEIGHT,
  IDENT_WEIGHT,
  MIN_WORD_SIMILARITY,
  REF_LINE_TOLERANCE,
  REF_WEIGHT,
  SIMILARITY_THRESHOLD,
  sameFinding,
  similarity,
  stem,
} from "./similarity.ts";
