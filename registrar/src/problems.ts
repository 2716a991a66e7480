/**
 * What is wrong with a register file: each problem names where (line, column, the header's name of
 * the field), what (a stable code) and the values that explain it, so that it can be said in the
 * reader's language (messages.ts) and tested without matching text. A file with any problem applies
 * nothing: `RegisterFileError` carries all of them (up to `MAX_PROBLEMS`) at once.
 */
import { AppError } from "#lib/errors.js";

export interface Problem {
  code: ProblemCode;
  /** 1-based line of the file (a record's first line for a record-wide problem); 0 for the file as a whole. */
  line: number;
  /** 1-based column (in characters) where the offending field or character starts; 0 when none applies. */
  column: number;
  /** The header's name of the field, when the problem is one field's. */
  field?: string;
  /** The values the message names (what was found, what was expected). */
  params: Record<string, string | number>;
}

/** Every problem a register file can have; messages.ts holds their Russian and English texts. */
export const PROBLEM_CODES = [
  // the bytes and the CSV syntax (RFC 4180)
  "empty_file",
  "not_utf8",
  "unclosed_quote",
  "quote_in_unquoted_field",
  "text_after_closing_quote",
  "lone_carriage_return",
  // the header
  "header_missing_column",
  "header_unknown_column",
  "header_duplicate_column",
  // one row
  "wrong_field_count",
  "unknown_record",
  "field_required",
  "field_not_allowed",
  "field_too_long",
  "control_character",
  "bad_fraction",
  "inexact_share",
  "share_out_of_range",
  "bad_area",
  "area_not_positive",
  "area_too_large",
  "unknown_kind",
  "unknown_ownership",
  "unknown_role",
  "unknown_language",
  "bad_cadastral_number",
  "bad_person_id",
  "bad_email",
  "bad_phone",
  // rows against each other
  "no_building",
  "too_many_rows",
  "duplicate_building",
  "duplicate_premises",
  "duplicate_cadastral_number",
  "duplicate_person",
  "duplicate_resident",
  "duplicate_organisation",
  "unknown_building",
  "unknown_premises",
  "unknown_person",
  "shares_not_whole",
  "person_in_two_holdings",
  "joint_group_too_small",
  "joint_group_too_large",
  "joint_share_differs",
  "joint_title_differs",
  "sole_not_alone",
  "sole_share_not_whole",
  "shared_share_whole",
  "too_many_holdings",
  "too_many_joint_groups",
  // the file against what the register already holds on chain
  "premises_changed",
  "premises_missing",
  // more than are reported
  "too_many_problems",
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

/** Problems reported at most; the rest are counted in one `too_many_problems`. */
export const MAX_PROBLEMS = 100;

/** Collects problems up to the limit. */
export class ProblemList {
  readonly problems: Problem[] = [];
  private dropped = 0;

  add(code: ProblemCode, line: number, column: number, params: Record<string, string | number> = {}, field?: string): void {
    if (this.problems.length >= MAX_PROBLEMS) {
      this.dropped++;
      return;
    }
    this.problems.push({ code, line, column, ...(field === undefined ? {} : { field }), params });
  }

  /** Problems found so far, reported or not. */
  get count(): number {
    return this.problems.length + this.dropped;
  }

  get empty(): boolean {
    return this.problems.length === 0;
  }

  /** Throws `RegisterFileError` with every problem when there is any. */
  throwIfAny(): void {
    if (this.empty) return;
    this.problems.sort((a, b) => a.line - b.line || a.column - b.column);
    const all = this.dropped > 0 ? [...this.problems, { code: "too_many_problems" as const, line: 0, column: 0, params: { count: this.dropped } }] : this.problems;
    throw new RegisterFileError(all);
  }
}

/** A register file that cannot be applied; `problems` says every reason, each with its line and column. */
export class RegisterFileError extends AppError {
  constructor(readonly problems: Problem[]) {
    const first = problems[0]!;
    super("invalid_register_file", `the register file has ${problems.length} problem(s); the first is ${first.code} at line ${first.line}, column ${first.column}`, {
      details: { problems },
    });
  }
}
