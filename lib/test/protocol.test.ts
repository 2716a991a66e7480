/**
 * The protocol's XML (writer, strict reader, schema check), its signer and its verifier of detached
 * signatures, on a protocol model of a meeting and of a poll.
 */
import { expect } from "chai";
import { chmod, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { id } from "ethers";
import { MAJORITY_OF_ALL, MAJORITY_OF_PARTICIPANTS } from "../domain.js";
import { checkAnnex, shareFraction, reducedFraction } from "../protocol/annex.js";
import { PROTOCOL_FORMAT_VERSION, type ProtocolDocument } from "../protocol/model.js";
import { compareTrees, protocolParts, protocolTree, validateProtocolXml } from "../protocol/protocol-xml.js";
import { renderProtocolPdf } from "../protocol/pdf.js";
import { LocalKeySigner, parseJwks, verifyDetached } from "../protocol/signer.js";
import { child, readXml, writeXml } from "../protocol/xml.js";
import { SHARE_UNIT } from "../domain.js";
import type { RegisterState } from "../recount/register.js";

const A = "0x1111111111111111111111111111111111111111";
const B = "0x2222222222222222222222222222222222222222";
const TX = "0x" + "ab".repeat(32);
const WORDING = "Установить шлагбаум <во дворе> & «у въезда»";

function meetingDoc(overrides: Partial<ProtocolDocument> = {}): ProtocolDocument {
  const question = {
    number: 1,
    textRef: id(WORDING),
    text: WORDING,
    questionType: 0,
    code: "other",
    typeName: "Прочие вопросы",
    article: "ЖК РФ ст. 46 ч. 1",
    confirmed: true,
    rule: MAJORITY_OF_PARTICIPANTS,
    threshold: "более 50 % голосов собственников, принявших участие",
    forWeight: "600",
    againstWeight: "300",
    abstainWeight: "100",
    noAnswerWeight: "0",
    forSquareMetres: "0.00",
    againstSquareMetres: "0.00",
    abstainSquareMetres: "0.00",
    noAnswerSquareMetres: "0.00",
    forPercentOfParticipants: "60.00",
    againstPercentOfParticipants: "30.00",
    abstainPercentOfParticipants: "10.00",
    forPercentOfAll: "40.00",
    passed: true,
    resultText: "Решение: ПРИНЯТО",
  };
  return {
    formatVersion: PROTOCOL_FORMAT_VERSION,
    language: "ru",
    number: "7",
    drawnUpAt: "2025-10-01T12:00:00Z",
    place: "Информационная система",
    form: { code: "electronic-absentee", text: "заочное голосование" },
    building: { address: "г. Москва, ул. Тестовая, д. 7", cadastralNumber: "77:01:0001001:7" },
    initiatorParty: { account: A, name: "ООО «УК»", personId: "ОГРН 1", identity: "ИНН 7700" },
    administratorParty: { account: A, name: "ООО «УК»", personId: "ОГРН 1", identity: "ИНН 7700" },
    finalizedTx: TX,
    chainId: 31337,
    meetingHall: B,
    meetingId: "7",
    kind: "Meeting",
    meetingType: "Annual",
    status: "Finalized",
    buildingId: "1",
    initiator: A,
    administrator: A,
    announcedAt: "2025-09-01T12:00:00Z",
    votingStart: "2025-09-11T12:00:00Z",
    votingEnd: "2025-09-30T12:00:00Z",
    snapshot: "2025-09-01T12:00:00Z",
    agendaRef: TX,
    registerHash: TX,
    rules: { version: 1, sourceRef: TX, effectiveFrom: "2024-09-01", source: "ЖК РФ", quorum: MAJORITY_OF_ALL, quorumText: "более 50 % голосов всех собственников", quorumArticle: "ЖК РФ ст. 45 ч. 3" },
    totalWeight: "1500",
    totalSquareMetres: "0.00",
    participatingWeight: "1000",
    participatingSquareMetres: "0.00",
    participationPercent: "66.67",
    ballotCount: 1,
    ballotsByForm: { direct: 1, relayed: 0, paper: 0, representative: 0 },
    quorumReached: true,
    finalizedBlock: 42,
    questions: [question],
    ballots: [{ voter: A, representative: null, powerOfAttorney: null, form: "Direct", weight: "1000", squareMetres: "0.00", jointWith: [], answers: ["For"], scanHash: null, transactionHash: TX, blockNumber: 40, via: "direct" }],
    rejected: [],
    discardedCount: 0,
    annexes: {
      registerHash: TX,
      owners: [{ account: A, personId: "P-1", name: "Иванов И. И.", identity: "паспорт 45 01", premisesId: "3", premisesNumber: "12", premisesKind: "Residential", premisesCadastralNumber: "", areaSquareMetres: "45.10", share: "1/1", ownership: "sole", titleDocument: "ЕГРН № 1" }],
      participants: [{ account: A, personId: "P-1", name: "Иванов И. И.", identity: "паспорт 45 01", representative: null, form: "Direct", weight: "1000", squareMetres: "0.00", answers: ["For"], transactionHash: TX }],
    },
    ...overrides,
  };
}

const xmlOf = (doc: ProtocolDocument) => writeXml(protocolTree(doc));

describe("protocol XML", function () {
  it("writes UTF-8 XML with a version that reads back to the same tree and conforms to its schema", function () {
    const xml = xmlOf(meetingDoc());
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<Protocol xmlns="urn:digital-home:protocol" version="1"')).to.equal(true);
    expect(xml).to.contain("&lt;во дворе&gt; &amp; «у въезда»");
    const root = readXml(xml);
    expect(validateProtocolXml(root)).to.deep.equal([]);
    expect(compareTrees(protocolTree(meetingDoc()), root)).to.deep.equal([]);
    expect(child(child(child(root, "Agenda")!, "Question")!, "Wording")!.text).to.equal(WORDING);
    const parts = protocolParts(root);
    expect(parts).to.include({ meetingId: 7n, language: "ru", kind: "meeting", chainId: 31337 });
    expect(parts.texts).to.deep.equal([WORDING]);
    expect(parts.annex!.owners[0]).to.include({ premisesId: "3", areaM2: "45.10", share: "1/1", fullName: "Иванов И. И." });
  });

  it("words a poll's result as a poll's, and the schema refuses a poll with a decision", function () {
    const q = { ...meetingDoc().questions[0], code: null, rule: null, typeName: null, article: null, confirmed: null, resultText: "Большинство ответивших «за»: да" };
    const poll = meetingDoc({ kind: "Poll", rules: null, questions: [q], form: { code: "electronic-poll", text: "опрос" } });
    const root = readXml(xmlOf(poll));
    expect(validateProtocolXml(root)).to.deep.equal([]);
    const question = child(child(root, "Agenda")!, "Question")!;
    expect(child(question, "Decision")).to.equal(undefined);
    expect(child(question, "PollResult")!.attributes.majorityFor).to.equal("true");
    const wrong = readXml(xmlOf(poll).replace(/<PollResult majorityFor="true">([^<]*)<\/PollResult>/, '<Decision passed="true">$1</Decision>'));
    expect(validateProtocolXml(wrong).join("\n")).to.contain("a poll's result is a <PollResult>, never a <Decision>");
  });

  it("names every way a document departs from the schema", function () {
    const xml = xmlOf(meetingDoc());
    const cases: Array<[string, string, string]> = [
      ["a required element missing", xml.replace(/  <Place>[^<]*<\/Place>\n/, ""), "expected one <Place>, found 0"],
      ["an element out of order", xml.replace(/(  <Number>[^<]*<\/Number>\n)(  <DrawnUp>[^<]*<\/DrawnUp>\n)/, "$2$1"), "expected one <Number>"],
      ["an unknown element", xml.replace("<Agenda>", "<Agenda>\n    <Script/>"), "<Script> is not part of the protocol"],
      ["an attribute of a wrong form", xml.replace(/weight="600"/, 'weight="six hundred"'), "attribute weight='six hundred'"],
      ["an unknown attribute", xml.replace("<Votes ", '<Votes bonus="1" '), "attribute bonus is not allowed"],
      ["another version", xml.replace('version="1"', 'version="2"'), "attribute version='2'"],
      ["a wording that is not its hash's", xml.replace("Установить шлагбаум", "Снести шлагбаум"), "its keccak256 is not the question's textRef"],
      ["a required attribute missing", xml.replace(/ textRef="0x[0-9a-f]+"/, ""), "attribute textRef is missing"],
    ];
    for (const [what, text, message] of cases) expect(validateProtocolXml(readXml(text)).join("\n"), what).to.contain(message);
  });

  it("refuses XML that is not well-formed or could expand entities, naming line and column", function () {
    const cases: Array<[string, string]> = [
      ['<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY x "y">]><a/>', "a DOCTYPE is not accepted"],
      ["<a><b></a>", "</a> closes <b>"],
      ["<a>&unknown;</a>", "undeclared entity"],
      ["<a>AT&T</a>", "must start an entity reference"],
      ['<a x="1" x="2"/>', "duplicate attribute x"],
      ["<a/><b/>", "content after the root element"],
      ["<a><![CDATA[x]]></a>", "CDATA sections are not accepted"],
      ["<a>text<b/></a>", "mixes text and elements"],
      ['<?xml version="1.0" encoding="windows-1251"?><a/>', "expected UTF-8"],
      ["<a>\u0001</a>", "is not allowed in XML"],
      ["<a", "is not closed with '>'"],
    ];
    for (const [source, message] of cases) {
      expect(() => readXml(source), source).to.throw(message);
    }
    expect(() => readXml("<a>\n  <b x='1'\n  y></a>")).to.throw(/line 3, column/);
  });
});

describe("protocol PDF", function () {
  it("renders the same bytes for the same protocol", async function () {
    const [a, b] = await Promise.all([renderProtocolPdf(meetingDoc()), renderProtocolPdf(meetingDoc())]);
    expect(a.subarray(0, 5).toString()).to.equal("%PDF-");
    expect(Buffer.compare(a, b)).to.equal(0);
  });
});

describe("annex check", function () {
  const register = (holdings: Array<{ holders: string[]; share: bigint }>): RegisterState =>
    ({ premises: new Map([[3n, { area: 4510n, kind: 0, holdings: holdings.map((h) => ({ holders: h.holders.map((x) => x.toLowerCase()), share: h.share })) }]]) }) as unknown as RegisterState;
  const annex = (rows: Array<{ address: string; share: string; ownership: "sole" | "shared" | "joint" }>) => ({
    meetingId: "7",
    buildingId: "1",
    building: { address: "x", cadastralNumber: "y" },
    registerHash: TX,
    owners: rows.map((r) => ({ ...r, personId: "p", fullName: "n", identity: "", premisesId: "3", premisesNumber: "12", premisesKind: "Residential" as const, areaM2: "45.10", premisesCadastralNumber: "", titleDocument: "t" })),
    persons: [],
  });

  it("accepts the register on chain and names a share, a holder, an area or a hash that differs", function () {
    const meeting = { meetingId: 7n, buildingId: 1n };
    const halves = register([{ holders: [A], share: SHARE_UNIT / 2n }, { holders: [B], share: SHARE_UNIT / 2n }]);
    expect(checkAnnex(annex([{ address: A, share: "1/2", ownership: "shared" }, { address: B, share: "2/4", ownership: "shared" }]), meeting, halves, TX)).to.deep.equal([]);
    const wrongShare = checkAnnex(annex([{ address: A, share: "1/3", ownership: "shared" }, { address: B, share: "1/2", ownership: "shared" }]), meeting, halves, TX);
    expect(wrongShare.map((d) => d.field)).to.deep.equal(["holders and shares"]);
    const joint = register([{ holders: [A, B], share: SHARE_UNIT }]);
    expect(checkAnnex(annex([{ address: A, share: "1/1", ownership: "joint" }, { address: B, share: "1/1", ownership: "joint" }]), meeting, joint, TX)).to.deep.equal([]);
    expect(checkAnnex(annex([{ address: A, share: "1/1", ownership: "sole" }]), meeting, joint, TX).map((d) => d.field)).to.include.members(["holders and shares", "ownership"]);
    expect(checkAnnex(annex([{ address: A, share: "1/2", ownership: "shared" }, { address: B, share: "1/2", ownership: "shared" }]), meeting, halves, id("another")).map((d) => d.field)).to.deep.equal(["registerHash (published on chain at the snapshot)"]);
    expect(shareFraction(SHARE_UNIT / 3n)).to.equal("1/3");
    expect(reducedFraction("4/6")).to.equal("2/3");
  });
});

describe("LocalKeySigner", function () {
  let dir: string;
  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "dh-signer-"));
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates its key once, owner-only, and reopens the same key", async function () {
    const file = path.join(dir, "keys", "signing.pem");
    const a = await LocalKeySigner.open(file, { create: true });
    expect((await stat(file)).mode & 0o777).to.equal(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).to.equal(0o700);
    const b = await LocalKeySigner.open(file, { create: true });
    expect(b.keyId).to.equal(a.keyId);
    await chmod(file, 0o644);
    let refused: Error | undefined;
    await LocalKeySigner.open(file, { create: false }).catch((err: Error) => (refused = err));
    expect(refused?.message).to.contain("others may read it");
    await chmod(file, 0o600);
    let missing: Error | undefined;
    await LocalKeySigner.open(path.join(dir, "none.pem"), { create: false }).catch((err: Error) => (missing = err));
    expect(missing?.message).to.contain("cannot be read");
  });

  it("signs detached (header..signature) and verifies only the very bytes with the published key", async function () {
    const signer = await LocalKeySigner.open(path.join(dir, "k2.pem"), { create: true });
    const bytes = Buffer.from(xmlOf(meetingDoc()));
    const jws = await signer.sign(bytes, "application/xml");
    expect(jws).to.match(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$/);
    const jwks = parseJwks(JSON.parse(JSON.stringify(signer.publicJwks())));
    expect(verifyDetached(bytes, jws, jwks)).to.deep.equal({ keyId: signer.keyId, contentType: "application/xml" });
    const changed = Buffer.from(bytes);
    changed[100] ^= 1;
    expect(() => verifyDetached(changed, jws, jwks)).to.throw("does not match the file's bytes");
    const other = await LocalKeySigner.open(path.join(dir, "k3.pem"), { create: true });
    expect(() => verifyDetached(bytes, jws, other.publicJwks())).to.throw("not among the operator's published keys");
    expect(() => verifyDetached(bytes, "not a signature", jwks)).to.throw("detached payload");
    expect(() => parseJwks({ keys: [{ ...jwks.keys[0], d: "secret" }] })).to.throw("private key");
    expect(() => parseJwks({ keys: [{ ...jwks.keys[0], kid: "forged" }] })).to.throw("not the key's thumbprint");
  });
});
