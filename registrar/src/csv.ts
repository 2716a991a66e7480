/**
 * Reads CSV as RFC 4180 defines it, strictly: UTF-8 (a byte order mark is allowed and dropped),
 * fields separated by commas, records by CRLF or LF, a field that holds a comma, a quote or a line
 * break enclosed in double quotes with its quotes doubled. Anything else — bytes that are not UTF-8,
 * a quote inside an unquoted field, text after a closing quote, a lone CR, a quote never closed — is
 * a problem naming its line and column, never guessed at. Every field keeps the line and column
 * where it starts, so that later checks can point at it. Lines with nothing on them are skipped.
 */
import type { ProblemList } from "./problems.js";

export interface CsvField {
  value: string;
  /** 1-based line and column (in characters) where the field starts. */
  line: number;
  column: number;
}

export interface CsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  fields: CsvField[];
  /** Where the record ends: the line and column just past its last character. */
  endLine: number;
  endColumn: number;
}

/** The offset of the first byte that does not belong to a well-formed UTF-8 sequence, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return i;
    }
    if (i + need >= n) return i;
    let cp = b & (0xff >> (need + 2));
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    // overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += need + 1;
  }
  return -1;
}

/** The line and column (in characters) of byte `offset` of a file whose bytes before it are UTF-8. */
function positionOfByte(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  const before = new TextDecoder("utf-8").decode(bytes.subarray(lineStart, offset));
  return { line, column: [...before].length + 1 };
}

/**
 * The text of a file that must be UTF-8, without its byte order mark; undefined (and a `not_utf8`
 * problem at the first bad byte) when it is not.
 */
export function decodeUtf8(bytes: Uint8Array, problems: ProblemList): string | undefined {
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const { line, column } = positionOfByte(bytes, bad);
    problems.add("not_utf8", line, column, { byte: bad + 1 });
    return undefined;
  }
  const hasBom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(hasBom ? bytes.subarray(3) : bytes);
}

/**
 * The records of a CSV text. A record with a syntax problem is reported and left out; reading goes
 * on at the next line, so that one file shows all its problems. A quote never closed ends reading.
 */
export function parseCsv(text: string, problems: ProblemList): CsvRecord[] {
  const records: CsvRecord[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  let column = 1;

  /** Moves past one UTF-16 unit; a surrogate pair's second half takes no column. */
  const step = () => {
    const c = text.charCodeAt(i);
    i++;
    if (c === 0x0a) {
      line++;
      column = 1;
    } else if (!(c >= 0xdc00 && c <= 0xdfff)) {
      column++;
    }
  };
  const atLineEnd = () => text[i] === "\n" || (text[i] === "\r" && text[i + 1] === "\n");
  const skipLineEnd = () => {
    if (text[i] === "\r") i++;
    step(); // the LF
  };
  const skipRestOfLine = () => {
    while (i < n && text[i] !== "\n") step();
    if (i < n) step();
  };

  while (i < n) {
    const recordLine = line;
    // a line with nothing on it is no record
    if (atLineEnd()) {
      skipLineEnd();
      continue;
    }
    const fields: CsvField[] = [];
    let broken = false;
    for (;;) {
      const start = { line, column };
      let value = "";
      if (text[i] === '"') {
        step();
        let closed = false;
        while (i < n) {
          if (text[i] === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              step();
              step();
              continue;
            }
            step();
            closed = true;
            break;
          }
          value += text[i];
          step();
        }
        if (!closed) {
          problems.add("unclosed_quote", start.line, start.column);
          return records;
        }
        if (i < n && text[i] !== "," && !atLineEnd()) {
          problems.add(text[i] === "\r" ? "lone_carriage_return" : "text_after_closing_quote", line, column);
          broken = true;
        }
      } else {
        while (i < n && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r") {
          if (text[i] === '"') {
            problems.add("quote_in_unquoted_field", line, column);
            broken = true;
            break;
          }
          value += text[i];
          step();
        }
        if (!broken && text[i] === "\r" && text[i + 1] !== "\n") {
          problems.add("lone_carriage_return", line, column);
          broken = true;
        }
      }
      if (broken) {
        skipRestOfLine();
        break;
      }
      fields.push({ value, line: start.line, column: start.column });
      if (text[i] === ",") {
        step();
        continue;
      }
      // end of the record: a line end or the end of the text
      const end = { line, column };
      if (i < n) skipLineEnd();
      // a row of empty fields only (",,,," as spreadsheets save blank rows) is no record either
      if (fields.some((f) => f.value !== "")) records.push({ line: recordLine, fields, endLine: end.line, endColumn: end.column });
      break;
    }
  }
  return records;
}
