/**
 * The type comes from the bytes, never from the Content-Type: a PNG sent as a PDF is stored and
 * served as a PNG; an HTML page sent as a PDF, an SVG sent as an image or as itself, a PDF naming
 * JavaScript or a launch action (plainly, behind `#xx` escapes, or inside a compressed object
 * stream) are refused; a PDF uploaded under a script's name downloads under a .pdf name; formats
 * outside the list, truncated or malformed files, text that is not UTF-8 or holds control
 * characters, and declared JSON that does not parse are refused with their own codes. A refused
 * upload stores nothing.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { deflateSync } from "node:zlib";
import { keccak256 } from "ethers";
import { sniff } from "../src/sniff.js";
import type { DocumentType } from "../src/types.js";
import {
  get,
  handMadePdf,
  HTML_PAGE,
  jpegImage,
  KEEPER_TOKEN,
  minimalPdfObjects,
  pdfDocument,
  pngImage,
  startStore,
  streamObject,
  SVG_IMAGE,
  tempDir,
  upload,
  type StartedStore,
} from "./helpers.js";

const LIMITS: Record<DocumentType, number> = { pdf: 1 << 20, png: 1 << 20, jpeg: 1 << 20, text: 4096, json: 8192, xml: 16384 };

/** A protocol as the keeper writes it: UTF-8 XML with a declaration, attributes, references, a comment and CDATA. */
const PROTOCOL_XML = `<?xml version="1.0" encoding="UTF-8"?>
<!-- Протокол общего собрания -->
<protocol xmlns="urn:digital-home:protocol" version="1" number="12">
  <building address="г. Москва, ул. Лесная, д. 5 &amp; корп. 2" cadastral="77:01:0004012:1234"/>
  <question number="1" type="44.2.2"><wording><![CDATA[Утвердить смету <на 2026 год>]]></wording>
    <for unit="m2">1234.50</for><against>&#x31;0.00</against><abstain>0</abstain><decision>принято</decision></question>
  <?digital-home annex="owners"?>
</protocol>
`;

let tmp: ReturnType<typeof tempDir>;
let s: StartedStore;

before(async () => {
  tmp = tempDir();
  s = await startStore(tmp.dir);
});

after(async () => {
  await s?.documents.stop();
  tmp?.remove();
});

/** The code `sniff` refuses `bytes` with. */
function refusal(bytes: Buffer | string, declared?: string, limits: Record<DocumentType, number> = LIMITS): string {
  try {
    sniff(typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes, limits, declared);
  } catch (err) {
    return (err as { code: string }).code;
  }
  return "accepted";
}

const javascriptAction = "/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>";

/** A PDF whose catalog sits in a compressed object stream (as PDF 1.5 producers write them). */
function pdfWithObjectStream(catalog: string): Buffer {
  const header = "3 0 ";
  const objStm = streamObject(`/Type /ObjStm /N 1 /First ${header.length} /Filter /FlateDecode`, deflateSync(Buffer.from(header + catalog, "latin1")));
  return handMadePdf(["<< /Type /Pages /Kids [] /Count 0 >>", objStm], "/Root 3 0 R");
}

describe("sniff", () => {
  it("reads each accepted type from its bytes", async () => {
    assert.equal(sniff(await pdfDocument("Протокол"), LIMITS).type, "pdf");
    assert.equal(sniff(handMadePdf(minimalPdfObjects()), LIMITS).type, "pdf");
    assert.equal(sniff(pngImage(), LIMITS).type, "png");
    assert.equal(sniff(jpegImage(), LIMITS).type, "jpeg");
    assert.equal(sniff(Buffer.from("Повестка дня: 1. Выборы председателя"), LIMITS).type, "text");
    assert.equal(sniff(Buffer.from('{"kind":"notice"}'), LIMITS).type, "json");
    assert.equal(sniff(Buffer.from("[1, 2, 3]"), LIMITS).type, "json");
    assert.equal(sniff(Buffer.from("[Вопрос 1] Выборы председателя"), LIMITS).type, "text", "a bracket does not make JSON");
    assert.equal(sniff(Buffer.from("42"), LIMITS).type, "text", "a JSON scalar is text");
  });

  it("refuses markup, whatever it is sent as", () => {
    assert.equal(refusal(HTML_PAGE, "application/pdf"), "active_content_refused");
    assert.equal(refusal(SVG_IMAGE, "image/png"), "active_content_refused");
    assert.equal(refusal('<svg xmlns="http://www.w3.org/2000/svg"/>'), "active_content_refused");
    assert.equal(refusal("<p>Утвердить</p>"), "active_content_refused", "a text that opens with a tag");
    assert.equal(refusal("Повестка\n<script>alert(1)</script>"), "active_content_refused", "a script anywhere");
    assert.equal(refusal("\ufeff  <html>"), "active_content_refused", "behind a byte-order mark and spaces");
    assert.equal(refusal("Площадь < 50 м² и > 10 м²"), "accepted", "a comparison is not a tag");
  });

  it("refuses PDFs that name JavaScript or a launch action, wherever they hide the name", () => {
    assert.equal(refusal(handMadePdf(minimalPdfObjects(javascriptAction))), "active_content_refused");
    assert.equal(refusal(handMadePdf(minimalPdfObjects("/OpenAction << /S /J#61vaScr#69pt /JS (x) >>"))), "active_content_refused", "behind #xx escapes");
    assert.equal(refusal(handMadePdf(minimalPdfObjects("/OpenAction << /S /Launch /F (cmd.exe) >>"))), "active_content_refused");
    assert.equal(refusal(handMadePdf([...minimalPdfObjects("/Names 4 0 R"), "<< /JavaScript << /Names [(x) 5 0 R] >> >>", "<< /S /JavaScript /JS (1) >>"])), "active_content_refused");
    assert.equal(refusal(pdfWithObjectStream(`<< /Type /Catalog /Pages 1 0 R ${javascriptAction} >>`)), "active_content_refused", "inside a compressed object stream");
    assert.equal(refusal(pdfWithObjectStream("<< /Type /Catalog /Pages 1 0 R >>")), "accepted", "an object stream without scripts is fine");
  });

  it("refuses PDFs it cannot check or that are not whole", () => {
    assert.equal(refusal(handMadePdf(minimalPdfObjects(), "/Root 1 0 R /Encrypt << /Filter /Standard >>")), "unsupported_document_type", "encrypted");
    const whole = handMadePdf(minimalPdfObjects());
    assert.equal(refusal(whole.subarray(0, whole.length - 40)), "unsupported_document_type", "truncated: no %%EOF");
    assert.equal(refusal(Buffer.from("%PDF-garbage\n%%EOF")), "unsupported_document_type", "no version in the header");
    const bomb = handMadePdf([
      ...minimalPdfObjects(),
      streamObject("/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", deflateSync(Buffer.alloc(70 * 1024 * 1024, 0x20))),
    ]);
    assert.equal(refusal(bomb), "unsupported_document_type", "an object stream that inflates beyond the budget");
    assert.equal(refusal(handMadePdf([...minimalPdfObjects(), streamObject("/Type /ObjStm /N 1 /First 4 /Filter /LZWDecode", Buffer.from("xx"))])), "unsupported_document_type");
  });

  it("refuses images that are not whole or too large to decode", () => {
    const png = pngImage();
    assert.equal(refusal(png.subarray(0, png.length - 12)), "unsupported_document_type", "no IEND");
    const flipped = Buffer.from(png);
    flipped[45] ^= 0xff;
    assert.equal(refusal(flipped), "unsupported_document_type", "a chunk's CRC is wrong");
    assert.equal(refusal(Buffer.concat([png, Buffer.from(HTML_PAGE)])), "unsupported_document_type", "bytes after IEND");
    assert.equal(refusal(pngImage(2, 2, { width: 100_000, height: 100_000 })), "unsupported_document_type", "a decompression bomb's header");
    const jpeg = jpegImage();
    assert.equal(refusal(jpeg.subarray(0, 30)), "unsupported_document_type", "a JPEG cut before its scan");
    assert.equal(refusal(Buffer.from([0xff, 0xd8, 0xff, 0xd9])), "unsupported_document_type");
  });

  it("refuses formats outside the list, binary data and text that is not plain UTF-8", () => {
    assert.equal(refusal(Buffer.from("GIF89a\x01\x00\x01\x00", "latin1")), "unsupported_document_type");
    assert.equal(refusal(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0])), "unsupported_document_type", "a ZIP (an Office document)");
    assert.equal(refusal(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0])), "unsupported_document_type", "an executable");
    assert.equal(refusal(Buffer.from([0xc3, 0x28, 0x41])), "unsupported_document_type", "not UTF-8");
    assert.equal(refusal(Buffer.from("Повестка\u0000скрыто")), "unsupported_document_type", "a NUL");
    assert.equal(refusal(Buffer.from("Повестка\u001b[31m")), "unsupported_document_type", "an escape sequence");
    assert.equal(refusal(Buffer.alloc(0)), "empty_document");
    assert.equal(refusal(" \n\t "), "empty_document");
  });

  it("refuses declared JSON that does not parse, and takes undeclared near-JSON as text", () => {
    assert.equal(refusal('{"kind": "notice",}', "application/json"), "malformed_json");
    assert.equal(refusal("just words", "application/json; charset=utf-8"), "malformed_json");
    assert.equal(refusal('{"kind": "notice",}', "text/plain"), "accepted");
  });

  it("holds each type to its own limit", () => {
    assert.equal(refusal("я".repeat(2049)), "document_too_large", "4098 bytes of text over a 4096 limit");
    assert.equal(refusal(JSON.stringify({ t: "x".repeat(5000) })), "accepted", "JSON has a higher limit");
    assert.equal(refusal(JSON.stringify({ t: "x".repeat(9000) })), "document_too_large");
    assert.equal(refusal(pngImage(40, 40)), "accepted");
    assert.equal(refusal(pngImage(40, 40), undefined, { ...LIMITS, png: 100 }), "document_too_large");
    assert.equal(refusal(jpegImage(), undefined, { ...LIMITS, jpeg: 100 }), "document_too_large");
    assert.equal(refusal(handMadePdf(minimalPdfObjects()), undefined, { ...LIMITS, pdf: 100 }), "document_too_large");
  });
});

describe("sniff: XML", () => {
  it("accepts well-formed XML data, as the keeper's protocol is", () => {
    assert.equal(sniff(Buffer.from(PROTOCOL_XML), LIMITS).type, "xml");
    assert.equal(sniff(Buffer.from("\ufeff<?xml version='1.0'?><a b='1'/>"), LIMITS).type, "xml", "with a byte-order mark and single quotes");
  });

  it("refuses XML that is not data only", () => {
    const cases: Array<[string, string, string]> = [
      ["SVG", SVG_IMAGE, "svg"],
      ["an svg root without a namespace", '<?xml version="1.0"?><svg width="1"/>', "svg"],
      ["XHTML", '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>', "html"],
      ["SVG inside another root", '<?xml version="1.0"?><doc><pic xmlns:s="http://www.w3.org/2000/svg"><s:svg/></pic></doc>', "svg"],
      ["XSLT", '<?xml version="1.0"?><x:stylesheet xmlns:x="http://www.w3.org/1999/XSL/Transform" version="1.0"/>', "xslt"],
      ["a stylesheet instruction", '<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="evil.xsl"?><doc/>', "stylesheet"],
      ["a script in any namespace", '<?xml version="1.0"?><doc><x:script xmlns:x="urn:x">alert(1)</x:script></doc>', "script"],
      ["entities that expand (billion laughs)", '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><lolz>&lol2;</lolz>', "dtd"],
      ["an external entity", '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>', "dtd"],
    ];
    for (const [what, xml, kind] of cases) {
      let details: { kind?: string } = {};
      assert.equal(refusal(xml), "active_content_refused", what);
      try {
        sniff(Buffer.from(xml), LIMITS);
      } catch (err) {
        details = (err as { details: { kind: string } }).details;
      }
      assert.equal(details.kind, kind, what);
    }
  });

  it("refuses XML that is not well-formed", () => {
    const cases: Array<[string, string]> = [
      ["an unclosed element", '<?xml version="1.0"?><a><b></b>'],
      ["a mismatched end tag", '<?xml version="1.0"?><a><b></a></b>'],
      ["an unquoted attribute", '<?xml version="1.0"?><a b=1/>'],
      ["a duplicate attribute", '<?xml version="1.0"?><a b="1" b="2"/>'],
      ["'<' in an attribute", '<?xml version="1.0"?><a b="<"/>'],
      ["an undeclared entity", '<?xml version="1.0"?><a>&nbsp;</a>'],
      ["a bare ampersand", '<?xml version="1.0"?><a>Иванов & Петров</a>'],
      ["a reference to NUL", '<?xml version="1.0"?><a>&#0;</a>'],
      ["two roots", '<?xml version="1.0"?><a/><b/>'],
      ["text after the root", '<?xml version="1.0"?><a/>tail'],
      ["no root", '<?xml version="1.0"?><!-- nothing -->'],
      ["another encoding", '<?xml version="1.0" encoding="windows-1251"?><a/>'],
      ["a second declaration", '<?xml version="1.0"?><a><?xml version="1.0"?></a>'],
      ["'--' in a comment", '<?xml version="1.0"?><a><!-- a -- b --></a>'],
      ["an unclosed CDATA section", '<?xml version="1.0"?><a><![CDATA[x</a>'],
      ["elements nested too deep", `<?xml version="1.0"?>${"<a>".repeat(300)}${"</a>".repeat(300)}`],
    ];
    for (const [what, xml] of cases) assert.equal(refusal(xml), "malformed_xml", what);
    assert.equal(refusal(`<?xml version="1.0"?>${"<a>".repeat(200)}${"</a>".repeat(200)}`), "accepted", "200 levels are fine");
  });

  it("holds XML to its own limit, and takes markup that does not open with the declaration as markup", () => {
    const big = `<?xml version="1.0"?><a>${"ж".repeat(9000)}</a>`;
    assert.equal(refusal(big), "document_too_large", "over the XML limit of 16384");
    assert.equal(refusal(`<?xml version="1.0"?><a>${"ж".repeat(5000)}</a>`), "accepted", "over the text limit, within XML's");
    assert.equal(refusal(' <?xml version="1.0"?><a/>'), "active_content_refused", "the declaration must come first");
  });
});

describe("a lying Content-Type over HTTP", () => {
  it("stores a PNG sent as a PDF as the PNG it is, and says so", async () => {
    const bytes = pngImage(3, 3);
    const put = await upload(s.url, bytes, { token: KEEPER_TOKEN, contentType: "application/pdf", name: "scan.pdf" });
    assert.equal(put.status, 201, JSON.stringify(put.json));
    assert.equal(put.json.document.type, "png");
    assert.equal(put.json.declaredType, "application/pdf");
    const got = await get(`${s.url}/v1/documents/${put.json.document.id}`);
    assert.equal(got.headers.get("content-type"), "image/png");
    assert.match(got.headers.get("content-disposition")!, /filename="scan\.png"/);
  });

  it("refuses an HTML page sent as a PDF and stores nothing", async () => {
    const put = await upload(s.url, HTML_PAGE, { token: KEEPER_TOKEN, contentType: "application/pdf", name: "agenda.pdf" });
    assert.deepEqual([put.status, put.json.error.code], [415, "active_content_refused"]);
    assert.equal((await get(`${s.url}/v1/documents/${keccak256(Buffer.from(HTML_PAGE))}`)).status, 404);
  });

  it("refuses SVG, sent as SVG or as a PNG", async () => {
    for (const contentType of ["image/svg+xml", "image/png"]) {
      const put = await upload(s.url, SVG_IMAGE, { token: KEEPER_TOKEN, contentType });
      assert.deepEqual([put.status, put.json.error.code, put.json.error.details.kind], [415, "active_content_refused", "svg"], contentType);
    }
    assert.equal((await get(`${s.url}/v1/documents/${keccak256(Buffer.from(SVG_IMAGE))}`)).status, 404);
  });

  it("refuses a PDF with a script, and downloads a clean PDF uploaded under a script's name as .pdf", async () => {
    const scripted = await upload(s.url, handMadePdf(minimalPdfObjects(javascriptAction)), { token: KEEPER_TOKEN, contentType: "application/pdf" });
    assert.deepEqual([scripted.status, scripted.json.error.code, scripted.json.error.details.name], [415, "active_content_refused", "JavaScript"]);

    for (const [name, served] of [
      ["run.js", "run.pdf"],
      ["index.html", "index.pdf"],
      ["../../etc/cron.d/job.sh", "job.pdf"],
      ['..\\..\\Start Menu\\evil".exe', "evil_.pdf"],
      ["invoice\u202Efdp.exe", "invoicefdp.pdf"],
      [".htaccess", "document-"],
    ] as const) {
      const pdf = await pdfDocument(`Документ ${name}`);
      const put = await upload(s.url, pdf, { token: KEEPER_TOKEN, contentType: "application/javascript", name });
      assert.equal(put.status, 201, JSON.stringify(put.json));
      const got = await get(`${s.url}/v1/documents/${put.json.document.id}`);
      assert.equal(got.headers.get("content-type"), "application/pdf");
      const disposition = got.headers.get("content-disposition")!;
      assert.match(disposition, /^attachment; filename="/);
      assert.ok(put.json.document.name.startsWith(served) && put.json.document.name.endsWith(".pdf"), `${name} → ${put.json.document.name}`);
      assert.ok(!/[/\\]|\.\./.test(put.json.document.name), put.json.document.name);
    }
  });

  it("refuses a name with control characters or beyond a file name's length, storing nothing", async () => {
    const bytes = Buffer.from("Текст для проверки имени файла", "utf8");
    for (const name of ["line\nbreak.txt", "x".repeat(256)]) {
      const put = await upload(s.url, bytes, { token: KEEPER_TOKEN, name });
      assert.deepEqual([put.status, put.json.error.code], [400, "invalid_name"]);
    }
    assert.equal((await get(`${s.url}/v1/documents/${keccak256(bytes)}`)).status, 404);
  });

  it("refuses a form upload (the envelope is not the document) and a compressed body", async () => {
    const form = new FormData();
    form.append("file", new Blob([new Uint8Array(pngImage())], { type: "image/png" }), "x.png");
    const r = await fetch(`${s.url}/v1/documents`, { method: "PUT", headers: { authorization: `Bearer ${KEEPER_TOKEN}` }, body: form });
    assert.equal(r.status, 415);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, "unsupported_media_type");
    const gz = await upload(s.url, pngImage(), { token: KEEPER_TOKEN, headers: { "content-encoding": "gzip" } });
    assert.deepEqual([gz.status, gz.json.error.code], [415, "unsupported_encoding"]);
  });
});
