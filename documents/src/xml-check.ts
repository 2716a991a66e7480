/**
 * What an XML document must be to be stored (the keeper's protocols are XML): well-formed XML 1.0
 * in UTF-8 with its declaration first, and data only. Refused: a document type declaration (its
 * entities expand into gigabytes or fetch files when a consumer parses it), a stylesheet processing
 * instruction (a browser runs XSLT, which writes HTML), SVG, XHTML and XSLT namespaces or roots, and
 * a `script` element in any namespace. Stored XML is always a download, never shown in a page.
 *
 * The check is a small well-formedness reader, not a validating parser: it reads the prolog, every
 * tag with its attributes (quoted, unique, no `<` in a value), text and attribute references (the
 * five predefined entities and character references to XML characters only), comments, processing
 * instructions and CDATA sections, keeps the stack of open elements and wants exactly one root.
 */
import { AppError } from "#lib/errors.js";

/** Elements may nest this deep; deeper documents are refused (their consumers recurse). */
export const MAX_XML_DEPTH = 256;

const FORBIDDEN_NAMESPACES: Record<string, string> = {
  "http://www.w3.org/2000/svg": "svg",
  "http://www.w3.org/1999/xhtml": "html",
  "http://www.w3.org/1999/XSL/Transform": "xslt",
};

const NAME = /[\p{L}_:][\p{L}\p{N}\p{Mn}\p{Mc}._:\u00b7-]*/uy;
const SPACE = /[ \t\r\n]*/y;
const REFERENCE = /&(?:(lt|gt|amp|quot|apos)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));/y;

const malformed = (why: string, at: number) => new AppError("malformed_xml", `the XML document is not well-formed: ${why} (at character ${at})`, { details: { type: "xml", at } });
const refused = (kind: string, why: string) =>
  new AppError("active_content_refused", `the XML document ${why}: XML is accepted as data only`, { details: { type: "xml", kind } });

function isXmlChar(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}

class Reader {
  at = 0;
  constructor(readonly text: string) {}

  startsWith(s: string): boolean {
    return this.text.startsWith(s, this.at);
  }

  space(): boolean {
    SPACE.lastIndex = this.at;
    SPACE.exec(this.text);
    const moved = SPACE.lastIndex > this.at;
    this.at = SPACE.lastIndex;
    return moved;
  }

  name(what: string): string {
    NAME.lastIndex = this.at;
    const m = NAME.exec(this.text);
    if (!m) throw malformed(`expected ${what}`, this.at);
    this.at = NAME.lastIndex;
    return m[0];
  }

  /** Skips to just after `end`, or `malformed` naming what was left open. */
  past(end: string, what: string): string {
    const i = this.text.indexOf(end, this.at);
    if (i < 0) throw malformed(`${what} is never closed`, this.at);
    const inside = this.text.slice(this.at, i);
    this.at = i + end.length;
    return inside;
  }

  /** Checks the references in a run of character data or an attribute value. */
  references(run: string, offset: number): void {
    for (let i = run.indexOf("&"); i >= 0; i = run.indexOf("&", i + 1)) {
      REFERENCE.lastIndex = i;
      const m = REFERENCE.exec(run);
      if (!m) throw malformed("'&' that is not one of &lt; &gt; &amp; &quot; &apos; or a character reference", offset + i);
      if (m[1] === undefined && !isXmlChar(m[2] !== undefined ? Number(m[2]) : parseInt(m[3]!, 16))) throw malformed("a character reference to a character XML does not allow", offset + i);
    }
  }
}

/** The local part of a qualified name. */
const localOf = (name: string) => name.slice(name.indexOf(":") + 1);

/** A comment, a processing instruction or a declaration where markup may stand outside or inside elements; false when none is here. */
function misc(r: Reader): boolean {
  if (r.startsWith("<!--")) {
    const start = r.at;
    r.at += 4;
    const inside = r.past("-->", "a comment");
    if (inside.includes("--") || inside.endsWith("-")) throw malformed("'--' inside a comment", start);
    return true;
  }
  if (r.startsWith("<?")) {
    const start = r.at;
    r.at += 2;
    const target = r.name("a processing instruction's target");
    if (target.toLowerCase() === "xml") throw malformed("a second XML declaration", start);
    if (target.toLowerCase() === "xml-stylesheet") throw refused("stylesheet", "names a stylesheet (<?xml-stylesheet?>), which a browser would run");
    r.past("?>", "a processing instruction");
    return true;
  }
  if (r.startsWith("<!DOCTYPE") || r.startsWith("<!ENTITY") || r.startsWith("<!ELEMENT") || r.startsWith("<!ATTLIST")) {
    throw refused("dtd", "has a document type declaration (entities would expand or be fetched when it is parsed)");
  }
  return false;
}

/** One start tag (the reader is just after '<'): its name, and whether it closes itself. */
function startTag(r: Reader): { name: string; empty: boolean } {
  const name = r.name("an element name");
  const seen = new Set<string>();
  for (;;) {
    const spaced = r.space();
    if (r.startsWith("/>")) {
      r.at += 2;
      return { name, empty: true };
    }
    if (r.startsWith(">")) {
      r.at += 1;
      return { name, empty: false };
    }
    if (!spaced) throw malformed(`expected white space, '>' or '/>' in <${name}>`, r.at);
    const attribute = r.name("an attribute name");
    if (seen.has(attribute)) throw malformed(`the attribute ${attribute} twice in <${name}>`, r.at);
    seen.add(attribute);
    r.space();
    if (!r.startsWith("=")) throw malformed(`expected '=' after the attribute ${attribute}`, r.at);
    r.at += 1;
    r.space();
    const quote = r.text[r.at];
    if (quote !== '"' && quote !== "'") throw malformed(`the value of ${attribute} is not quoted`, r.at);
    r.at += 1;
    const start = r.at;
    const value = r.past(quote, `the value of ${attribute}`);
    if (value.includes("<")) throw malformed(`'<' in the value of ${attribute}`, start);
    r.references(value, start);
    if (attribute === "xmlns" || attribute.startsWith("xmlns:")) {
      const kind = FORBIDDEN_NAMESPACES[value.trim()];
      if (kind) throw refused(kind, `declares the ${kind.toUpperCase()} namespace (${value.trim()})`);
    }
  }
}

/** Throws unless `text` (decoded UTF-8, declaration first) is well-formed XML that is data only. */
export function checkXml(text: string): void {
  const r = new Reader(text.startsWith("\ufeff") ? text.slice(1) : text);
  const declaration = /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])1\.[0-9]\1([^?]*)\?>/.exec(r.text);
  if (!declaration) throw malformed("expected the XML declaration <?xml version=\"1.x\" …?> first", 0);
  const encoding = /encoding[ \t\r\n]*=[ \t\r\n]*["']([A-Za-z0-9._-]+)["']/.exec(declaration[2]!);
  if (encoding && encoding[1]!.toLowerCase() !== "utf-8") throw malformed(`it declares the encoding ${encoding[1]}; only UTF-8 is accepted`, 0);
  r.at = declaration[0].length;

  const open: string[] = [];
  let rootSeen = false;
  while (r.at < r.text.length) {
    if (open.length === 0) {
      if (r.space()) continue;
      if (misc(r)) continue;
      if (!r.startsWith("<") || r.startsWith("</")) throw malformed(rootSeen ? "content after the root element" : "expected the root element", r.at);
      if (rootSeen) throw malformed("a second root element", r.at);
    } else {
      const next = r.text.indexOf("<", r.at);
      const end = next < 0 ? r.text.length : next;
      const run = r.text.slice(r.at, end);
      if (run.includes("]]>")) throw malformed("']]>' in character data", r.at);
      r.references(run, r.at);
      r.at = end;
      if (next < 0) break;
      if (misc(r)) continue;
      if (r.startsWith("<![CDATA[")) {
        r.at += 9;
        r.past("]]>", "a CDATA section");
        continue;
      }
      if (r.startsWith("</")) {
        const at = r.at;
        r.at += 2;
        const name = r.name("an end tag's name");
        r.space();
        if (!r.startsWith(">")) throw malformed(`expected '>' to end </${name}`, r.at);
        r.at += 1;
        if (name !== open[open.length - 1]) throw malformed(`</${name}> closes <${open[open.length - 1]}>`, at);
        open.pop();
        continue;
      }
      if (r.startsWith("<!")) throw malformed("a declaration inside an element", r.at);
    }
    r.at += 1; // the '<' of a start tag
    const { name, empty } = startTag(r);
    const local = localOf(name).toLowerCase();
    if (local === "script") throw refused("script", "holds a script element");
    if (!rootSeen && (local === "svg" || local === "html")) throw refused(local, `is ${local === "svg" ? "SVG" : "XHTML"}`);
    rootSeen = true;
    if (!empty) {
      open.push(name);
      if (open.length > MAX_XML_DEPTH) throw malformed(`elements nest deeper than ${MAX_XML_DEPTH}`, r.at);
    }
  }
  if (open.length > 0) throw malformed(`<${open[open.length - 1]}> is never closed`, r.text.length);
  if (!rootSeen) throw malformed("it has no root element", r.text.length);
}
