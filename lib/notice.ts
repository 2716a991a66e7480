/**
 * The notice of a meeting or poll as a document (Housing Code arts. 45 part 4 and 47.1): what the
 * initiator publishes in the system before announcing, stored in the document store, its keccak256
 * being the meeting's `agendaRef` on chain. The chain holds what can be checked — the building, the
 * initiator and the administrator by their accounts, the form, the dates and each question's wording
 * (`textRef`, a text document of its own) and type; the notice adds the words the law asks for beside
 * them: the building's address, the initiator's and the administrator's names, where the materials
 * are (attachments in the store, by their ids) and where decisions on paper are handed in.
 *
 * A notice cannot name its meeting's id (the id is given at the announcement, which carries the
 * notice's hash), so readers match it with the meeting by `agendaRef` and compare every field the
 * chain also holds (`noticeDiffers`); a notice that differs is not shown as the meeting's.
 * Defined once here for its writers (the page, the demo's seed) and readers (the notifier, the page).
 */
import { getAddress, isAddress } from "ethers";
import { z } from "zod";
import { KINDS, MEETING_TYPES } from "./domain.js";

export const NOTICE_FORMAT = "digital-home/notice/1";

const account = z
  .string()
  .refine((s) => isAddress(s), { message: "expected a 0x-prefixed 20-byte address" })
  .transform((s) => getAddress(s));
const text = (max: number) => z.string().trim().min(1).max(max);
const hash = z.string().regex(/^0x[0-9a-f]{64}$/, "expected 0x and 64 lower-case hex digits");
const time = z.number().int().min(0).max(2 ** 48 - 1);

/** Who initiated or administers the meeting, named as the law asks. */
const party = z.strictObject({
  address: account,
  name: text(500),
  /** What they are in the building: an owner, or the organisation's role. */
  role: z.enum(["owner", "management-organisation", "hoa", "capital-repair-fund"]),
});

export const noticeSchema = z
  .strictObject({
    format: z.literal(NOTICE_FORMAT),
    kind: z.enum(KINDS),
    /** Annual or extraordinary (a poll is `Extraordinary`, as the chain records it). */
    meetingType: z.enum(MEETING_TYPES),
    building: z.strictObject({
      buildingId: z.string().regex(/^[1-9]\d{0,19}$/, "expected the building's id on chain"),
      address: text(1000),
      cadastralNumber: text(100),
    }),
    initiator: party,
    /** The meeting's administrator (a poll's is its initiator). */
    administrator: party,
    votingStart: time,
    votingEnd: time,
    /** The agenda in order: each question's wording by its hash (a text document) and its type's code in the legal rules (none for a poll). */
    questions: z
      .array(z.strictObject({ textRef: hash, type: z.string().regex(/^[a-z0-9.]{1,32}$/, "expected a question type's code such as 44.2.2").optional() }))
      .min(1)
      .max(64),
    /** The materials of the meeting: documents in the store, by their ids. */
    materials: z
      .array(z.strictObject({ document: hash, name: text(200), questions: z.array(z.number().int().min(1).max(64)).max(64).optional() }))
      .max(50),
    /** Where and when decisions on paper are handed to the administrator (a meeting only). */
    paperDecisions: text(2000).optional(),
  })
  .superRefine((n, ctx) => {
    if (n.votingEnd <= n.votingStart) ctx.addIssue({ code: "custom", path: ["votingEnd"], message: "voting must end after it starts" });
    const poll = n.kind === "Poll";
    if (poll && n.meetingType !== "Extraordinary") ctx.addIssue({ code: "custom", path: ["meetingType"], message: "a poll is recorded as Extraordinary" });
    if (poll && n.administrator.address !== n.initiator.address) ctx.addIssue({ code: "custom", path: ["administrator"], message: "a poll's administrator is its initiator" });
    n.questions.forEach((q, i) => {
      if (poll && q.type !== undefined) ctx.addIssue({ code: "custom", path: ["questions", i, "type"], message: "a poll's questions have no legal type" });
      if (!poll && q.type === undefined) ctx.addIssue({ code: "custom", path: ["questions", i, "type"], message: "a meeting's question needs its type" });
    });
    n.materials.forEach((m, i) => {
      for (const q of m.questions ?? []) if (q > n.questions.length) ctx.addIssue({ code: "custom", path: ["materials", i, "questions"], message: `the agenda has no question ${q}` });
    });
  });

export type Notice = z.infer<typeof noticeSchema>;
export type NoticeInput = z.input<typeof noticeSchema>;

/** The notice's bytes as stored (JSON, two-space indented): their keccak256 is the `agendaRef` to announce with. */
export function encodeNotice(notice: NoticeInput): Buffer {
  return Buffer.from(JSON.stringify(noticeSchema.parse(notice), null, 2) + "\n", "utf8");
}

/** A notice read from its bytes, or the problems that keep it from being one (each with its path). */
export function parseNotice(bytes: Uint8Array): { notice?: Notice; problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    return { problems: [`not JSON text: ${(err as Error).message}`] };
  }
  const parsed = noticeSchema.safeParse(json);
  if (parsed.success) return { notice: parsed.data, problems: [] };
  return { problems: parsed.error.issues.slice(0, 20).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`) };
}

/** What the chain records of a meeting that a notice also states. */
export interface AnnouncedMeeting {
  buildingId: bigint;
  kind: (typeof KINDS)[number];
  meetingType: (typeof MEETING_TYPES)[number];
  initiator: string;
  administrator: string;
  votingStart: number;
  votingEnd: number;
  /** Each question's wording hash and its type's code in the meeting's rules version (none for a poll). */
  questions: Array<{ textRef: string; type?: string }>;
}

/** Where a notice and its meeting on chain disagree, one line each; none means the notice is the meeting's. */
export function noticeDiffers(notice: Notice, meeting: AnnouncedMeeting): string[] {
  const out: string[] = [];
  const eq = (field: string, stated: string | number | undefined, onChain: string | number | undefined) => {
    if (String(stated) !== String(onChain)) out.push(`${field}: the notice says ${stated ?? "nothing"}, the chain ${onChain ?? "nothing"}`);
  };
  eq("building", notice.building.buildingId, meeting.buildingId.toString());
  eq("kind", notice.kind, meeting.kind);
  eq("meeting type", notice.meetingType, meeting.meetingType);
  eq("initiator", notice.initiator.address, getAddress(meeting.initiator));
  eq("administrator", notice.administrator.address, getAddress(meeting.administrator));
  eq("voting start", notice.votingStart, meeting.votingStart);
  eq("voting end", notice.votingEnd, meeting.votingEnd);
  eq("questions", notice.questions.length, meeting.questions.length);
  notice.questions.forEach((q, i) => {
    const c = meeting.questions[i];
    if (!c) return;
    eq(`question ${i + 1} wording`, q.textRef, c.textRef.toLowerCase());
    eq(`question ${i + 1} type`, q.type, c.type);
  });
  return out;
}
