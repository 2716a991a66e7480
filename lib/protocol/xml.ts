/**
 * A small, strict XML toolkit for the protocol: an element tree, a writer (UTF-8, two-space indents,
 * every special character escaped) and a reader for the documents the writer produces and any other
 * well-formed XML 1.0 without a DTD. The reader refuses what it cannot prove harmless or well-formed:
 * a DOCTYPE (no entity expansion), CDATA, processing instructions other than the XML declaration,
 * undeclared entities, unmatched or misnested tags, duplicate attributes, text outside the root, and
 * names that are not XML names. Each refusal names the line and column.
 */
import { AppError } from "../errors.js";

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  /** Child elements, or the element's text (an element holds one or the other, never both). */
  children: XmlElement[];
  text: string | null;
  /** Where the element starts in the source (reader only). */
  line?: number;
  column?: number;
}

/** An element with attributes (undefined and null ones left out) and child elements or text. */
export function el(name: string, attributes: Record<string, string | number | boolean | null | undefined> = {}, content: Array<XmlElement | null | undefined | false> | string | null = []): XmlElement {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(attributes)) if (v !== undefined && v !== null) attrs[k] = String(v);
  if (typeof content === "string" || content === null) return { name, attributes: attrs, children: [], text: content };
  return { name, attributes: attrs, children: content.filter((c): c is XmlElement => !!c), text: null };
}

export class XmlError extends AppError {
  constructor(message: string, line: number, column: number) {
    super("malformed_xml", `line ${line}, column ${column}: ${message}`, { details: { line, column } });
  }
}

const escapeText = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r/g, "&#13;");
const escapeAttribute = (s: string) => escapeText(s).replace(/"/g, "&quot;").replace(/\n/g, "&#10;").replace(/\t/g, "&#9;");
/** Characters XML 1.0 allows (a control character other than tab, newline and return cannot be written). */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** The document as UTF-8 text with its XML declaration. */
export function writeXml(root: XmlElement): string {
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const write = (e: XmlElement, depth: number) => {
    const pad = "  ".repeat(depth);
    for (const [k, v] of Object.entries(e.attributes)) {
      if (FORBIDDEN.test(v)) throw new AppError("unwritable_xml", `attribute ${k} of <${e.name}> holds a character XML cannot carry`);
    }
    const attrs = Object.entries(e.attributes)
      .map(([k, v]) => ` ${k}="${escapeAttribute(v)}"`)
      .join("");
    if (e.text !== null) {
      if (FORBIDDEN.test(e.text)) throw new AppError("unwritable_xml", `the text of <${e.name}> holds a character XML cannot carry`);
      lines.push(`${pad}<${e.name}${attrs}>${escapeText(e.text)}</${e.name}>`);
    } else if (e.children.length === 0) {
      lines.push(`${pad}<${e.name}${attrs}/>`);
    } else {
      lines.push(`${pad}<${e.name}${attrs}>`);
      for (const c of e.children) write(c, depth + 1);
      lines.push(`${pad}</${e.name}>`);
    }
  };
  write(root, 0);
  return lines.join("\n") + "\n";
}

const NAME_START = /[A-Za-z_:\u00C0-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]/;
const NAME_CHAR = /[-.0-9A-Za-z_:\u00B7\u00C0-\u02FF\u0300-\u037D\u037F-\u1FFF\u200C-\u200D\u203F-\u2040\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]/;
const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/** Parses a document; throws XmlError naming the line and column of the first problem. */
export function readXml(source: string): XmlElement {
  let i = 0;
  const refuse = (message: string, at = i): never => {
    const before = source.slice(0, at);
    const line = before.split("\n").length;
    throw new XmlError(message, line, at - before.lastIndexOf("\n"));
  };
  if (source.charCodeAt(0) === 0xfeff) i = 1;
  const m = FORBIDDEN.exec(source);
  if (m) refuse(`character U+${m[0].charCodeAt(0).toString(16).padStart(4, "0").toUpperCase()} is not allowed in XML`, m.index);
  const isSpace = (c: string | undefined) => c === " " || c === "\t" || c === "\n" || c === "\r";
  const skipSpace = () => {
    while (isSpace(source[i])) i++;
  };
  const name = () => {
    const start = i;
    if (!NAME_START.test(source[i] ?? "")) refuse("expected a name");
    i++;
    while (i < source.length && NAME_CHAR.test(source[i])) i++;
    return source.slice(start, i);
  };
  const decode = (raw: string, at: number) =>
    raw.replace(/&([^;&<]*);?/g, (whole, ref: string, offset: number) => {
      if (!whole.endsWith(";")) refuse("'&' must start an entity reference ending in ';'", at + offset);
      if (ref in ENTITIES) return ENTITIES[ref];
      const code = /^#x[0-9a-fA-F]{1,6}$/.test(ref) ? parseInt(ref.slice(2), 16) : /^#[0-9]{1,7}$/.test(ref) ? parseInt(ref.slice(1), 10) : NaN;
      if (Number.isNaN(code)) refuse(`undeclared entity '&${ref};'`, at + offset);
      if (code > 0x10ffff || (code < 0x20 && code !== 9 && code !== 10 && code !== 13) || (code >= 0xd800 && code <= 0xdfff)) refuse(`character reference &${ref}; names a character XML does not allow`, at + offset);
      return String.fromCodePoint(code);
    });
  /** Comments and whitespace between markup. */
  const misc = () => {
    for (;;) {
      skipSpace();
      if (source.startsWith("<!--", i)) {
        const end = source.indexOf("-->", i + 4);
        if (end < 0) refuse("unterminated comment");
        if (source.slice(i + 4, end).includes("--")) refuse("'--' inside a comment");
        i = end + 3;
      } else return;
    }
  };

  if (source.startsWith("<?xml", i)) {
    const end = source.indexOf("?>", i);
    if (end < 0) refuse("unterminated XML declaration");
    const decl = source.slice(i, end);
    if (!/^<\?xml\s+version\s*=\s*["']1\.[0-9]+["'](\s+encoding\s*=\s*["'][A-Za-z][A-Za-z0-9._-]*["'])?(\s+standalone\s*=\s*["'](yes|no)["'])?\s*$/.test(decl)) refuse("malformed XML declaration");
    const enc = /encoding\s*=\s*["']([^"']+)["']/.exec(decl)?.[1];
    if (enc && enc.toUpperCase() !== "UTF-8") refuse(`encoding ${enc}: expected UTF-8`);
    i = end + 2;
  }
  misc();
  if (source.startsWith("<!DOCTYPE", i)) refuse("a DOCTYPE is not accepted");

  const element = (): XmlElement => {
    const startAt = i;
    if (source[i] !== "<") refuse("expected an element");
    i++;
    const tag = name();
    const attributes: Record<string, string> = {};
    for (;;) {
      const hadSpace = isSpace(source[i]);
      skipSpace();
      if (i >= source.length) refuse(`<${tag}> is not closed with '>'`, startAt);
      if (source[i] === "/" || source[i] === ">") break;
      if (!hadSpace) refuse("expected whitespace before an attribute");
      const attrAt = i;
      const key = name();
      skipSpace();
      if (source[i] !== "=") refuse(`expected '=' after attribute ${key}`);
      i++;
      skipSpace();
      const quote = source[i];
      if (quote !== '"' && quote !== "'") refuse(`expected a quoted value for attribute ${key}`);
      const end = source.indexOf(quote, i + 1);
      if (end < 0) refuse(`unterminated value of attribute ${key}`);
      const raw = source.slice(i + 1, end);
      if (raw.includes("<")) refuse(`'<' in the value of attribute ${key}`, i + 1 + raw.indexOf("<"));
      if (key in attributes) refuse(`duplicate attribute ${key}`, attrAt);
      // literal whitespace normalizes to spaces before references are decoded (XML 1.0 § 3.3.3)
      attributes[key] = decode(raw.replace(/\r\n|[\t\n\r]/g, " "), i + 1);
      i = end + 1;
    }
    const pos = position(startAt);
    if (source.startsWith("/>", i)) {
      i += 2;
      return { name: tag, attributes, children: [], text: null, ...pos };
    }
    if (source[i] !== ">") refuse(`expected '>' to close <${tag}>`);
    i++;
    const children: XmlElement[] = [];
    let text = "";
    for (;;) {
      if (i >= source.length) refuse(`<${tag}> is never closed`, startAt);
      if (source.startsWith("</", i)) {
        i += 2;
        const closing = name();
        if (closing !== tag) refuse(`</${closing}> closes <${tag}>`);
        skipSpace();
        if (source[i] !== ">") refuse(`expected '>' to close </${closing}>`);
        i++;
        break;
      }
      if (source.startsWith("<!--", i)) {
        misc();
        continue;
      }
      if (source.startsWith("<![CDATA[", i)) refuse("CDATA sections are not accepted");
      if (source.startsWith("<?", i)) refuse("processing instructions are not accepted");
      if (source[i] === "<") {
        children.push(element());
        continue;
      }
      const next = source.indexOf("<", i);
      const end = next < 0 ? source.length : next;
      const raw = source.slice(i, end);
      if (raw.includes("]]>")) refuse("']]>' in text", i + raw.indexOf("]]>"));
      text += decode(raw.replace(/\r\n?/g, "\n"), i);
      i = end;
    }
    if (children.length && text.trim() !== "") refuse(`<${tag}> mixes text and elements`, startAt);
    return { name: tag, attributes, children, text: children.length ? null : text, ...pos };
  };
  const position = (at: number) => {
    const before = source.slice(0, at);
    return { line: before.split("\n").length, column: at - before.lastIndexOf("\n") };
  };

  const root = element();
  misc();
  if (i < source.length) refuse("content after the root element");
  return root;
}

/** The first child named `name`, if any. */
export const child = (e: XmlElement, name: string): XmlElement | undefined => e.children.find((c) => c.name === name);

/** Every child named `name`. */
export const childrenNamed = (e: XmlElement, name: string): XmlElement[] => e.children.filter((c) => c.name === name);
