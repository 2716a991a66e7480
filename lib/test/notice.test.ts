/**
 * The notice document (lib/notice.ts) and the access levels of documents (lib/document-access.ts):
 * a notice round-trips through its bytes (its hash the agendaRef), is refused with each problem's
 * path, and is matched with its meeting on chain field by field; an upload's access query is read
 * or refused with what is wrong.
 */
import { expect } from "chai";
import { Wallet, id, keccak256 } from "ethers";
import { accessQuery, parseAccess, sameAccess } from "../document-access.js";
import { NOTICE_FORMAT, encodeNotice, noticeDiffers, parseNotice, type NoticeInput } from "../notice.js";

const initiator = Wallet.createRandom().address;
const administrator = Wallet.createRandom().address;
const material = keccak256(Buffer.from("смета"));

const base: NoticeInput = {
  format: NOTICE_FORMAT,
  kind: "Meeting",
  meetingType: "Extraordinary",
  building: { buildingId: "1", address: "Москва, ул. Профсоюзная, д. 56", cadastralNumber: "77:06:0004003:1056" },
  initiator: { address: initiator.toLowerCase(), name: "Смирнова Ольга Викторовна", role: "owner" },
  administrator: { address: administrator, name: "ООО «Уютный дом»", role: "management-organisation" },
  votingStart: 1_800_000_000,
  votingEnd: 1_800_604_800,
  questions: [{ textRef: id("Установить шлагбаум"), type: "44.2.2" }, { textRef: id("Нанять консьержа"), type: "other" }],
  materials: [{ document: material, name: "Смета", questions: [1] }],
  paperDecisions: "офис 1, по будням с 9:00 до 18:00",
};

const onChain = {
  buildingId: 1n,
  kind: "Meeting" as const,
  meetingType: "Extraordinary" as const,
  initiator,
  administrator,
  votingStart: 1_800_000_000,
  votingEnd: 1_800_604_800,
  questions: [{ textRef: id("Установить шлагбаум"), type: "44.2.2" }, { textRef: id("Нанять консьержа"), type: "other" }],
};

describe("the notice document", function () {
  it("round-trips through its bytes, its addresses checksummed, and agrees with its meeting on chain", function () {
    const bytes = encodeNotice(base);
    const { notice, problems } = parseNotice(bytes);
    expect(problems).to.deep.equal([]);
    expect(notice!.initiator.address).to.equal(initiator);
    expect(encodeNotice(notice!).equals(bytes)).to.equal(true, "the same bytes, so the same agendaRef");
    expect(noticeDiffers(notice!, onChain)).to.deep.equal([]);
  });

  it("names every field where it and the chain disagree", function () {
    const { notice } = parseNotice(encodeNotice(base));
    const other = { ...onChain, votingEnd: onChain.votingEnd + 1, administrator: initiator, questions: [onChain.questions[0]!, { textRef: id("Другой вопрос"), type: "other" }] };
    const differs = noticeDiffers(notice!, other);
    expect(differs.some((d) => d.startsWith("voting end"))).to.equal(true);
    expect(differs.some((d) => d.startsWith("administrator"))).to.equal(true);
    expect(differs.some((d) => d.startsWith("question 2 wording"))).to.equal(true);
    expect(differs).to.have.length(3);
  });

  it("refuses a notice that is not one, with each problem's path", function () {
    expect(parseNotice(Buffer.from([0xff, 0xfe])).problems[0]).to.match(/not JSON text/);
    const bad = parseNotice(Buffer.from(JSON.stringify({ ...base, votingEnd: base.votingStart, questions: [{ textRef: id("x") }], materials: [{ document: material, name: "Смета", questions: [3] }] })));
    expect(bad.notice).to.equal(undefined);
    expect(bad.problems.join("\n")).to.contain("votingEnd: voting must end after it starts").and.contain("questions.0.type: a meeting's question needs its type").and.contain("materials.0.questions: the agenda has no question 3");
    const poll = parseNotice(Buffer.from(JSON.stringify({ ...base, kind: "Poll" })));
    expect(poll.problems.join("\n")).to.contain("a poll's administrator is its initiator");
  });
});

describe("a document's access level", function () {
  it("reads an upload's query: public by default, restricted with its purpose and meeting", function () {
    expect(parseAccess({})).to.deep.equal({ access: { level: "public" } });
    const restricted = parseAccess({ access: "restricted", purpose: "protocol", meeting: "12" }).access!;
    expect(restricted).to.deep.equal({ level: "restricted", purpose: "protocol", meetingId: 12n });
    expect(accessQuery(restricted)).to.deep.equal({ access: "restricted", purpose: "protocol", meeting: "12" });
    expect(parseAccess(accessQuery(restricted)).access).to.deep.equal(restricted);
    expect(sameAccess(restricted, { level: "restricted", purpose: "protocol", meetingId: 13n })).to.equal(false);
    expect(sameAccess(restricted, { level: "public" })).to.equal(false);
  });

  it("names what is wrong with a bad one", function () {
    for (const [query, problem] of [
      [{ access: "secret" }, /access: expected public or restricted/],
      [{ access: "restricted", meeting: "1" }, /purpose: a restricted document is one of protocol, paper-decision, power-of-attorney/],
      [{ access: "restricted", purpose: "protocol", meeting: "01" }, /meeting: a restricted document names its meeting's id/],
      [{ purpose: "protocol", meeting: "1" }, /give access=restricted with them/],
    ] as const) {
      const r = parseAccess(query);
      expect(r.access).to.equal(undefined);
      expect(r.problem).to.match(problem);
    }
  });
});
