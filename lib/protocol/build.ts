/**
 * A protocol built from the chain: the recount of the meeting, the registrar's annex checked against
 * the register at the snapshot, and the model. The keeper signs what this builds only when it finds
 * no difference; a verifier builds the same from the chain to compare with a file it is given.
 */
import type { ChainReader } from "../recount/chain.js";
import type { Difference } from "../recount/differences.js";
import { recountMeeting, loadMeeting, type Recount } from "../recount/recount.js";
import { BuildingHistory } from "../recount/register.js";
import { checkAnnex, personOf, type Annex } from "./annex.js";
import type { Language } from "./labels.js";
import { buildProtocol, textsOf, type ProtocolDocument } from "./model.js";

export interface CheckedProtocol {
  doc: ProtocolDocument;
  recount: Recount;
  /** The recount's own differences (the chain against itself) and the annex's against the chain. */
  differences: Difference[];
}

export interface BuildFromChainOptions {
  language: Language;
  /** The agenda's wordings (each shown only under its own hash). */
  texts?: Iterable<string>;
  annex?: Annex;
  place?: string;
  checkSignatures?: boolean;
}

export async function protocolFromChain(reader: ChainReader, meetingId: bigint, options: BuildFromChainOptions): Promise<CheckedProtocol> {
  const meeting = await loadMeeting(reader, meetingId);
  const history = await BuildingHistory.load(reader, meeting.buildingId);
  const recount = await recountMeeting(reader, meetingId, { history, checkSignatures: options.checkSignatures ?? true });
  const differences = [...recount.differences];
  if (options.annex) {
    const register = history.stateAt(await reader.lastBlockAtOrBefore(meeting.snapshot));
    differences.push(...checkAnnex(options.annex, meeting, register, recount.registerHash));
    // the initiator, the administrator and every participant must be identified (a representative is
    // shown by account and power of attorney, whose document the administrator checked)
    const named = new Map<string, string>([
      [meeting.initiator, "initiator"],
      [meeting.administrator, "administrator"],
    ]);
    for (const b of recount.ballots.filter((x) => x.expectedWeight > 0n)) {
      named.set(b.voter, named.get(b.voter) ?? "participant");
    }
    for (const [account, role] of named) {
      if (!personOf(options.annex, account)) differences.push({ where: `annex, ${role} ${account}`, field: "identity", expected: "named in the registrar's annex", actual: "missing" });
    }
  }
  const doc = buildProtocol(recount, {
    chainId: reader.deployment.chainId,
    meetingHall: reader.deployment.contracts.MeetingHall.address,
    language: options.language,
    texts: options.texts ? textsOf(options.texts) : undefined,
    annex: options.annex,
    place: options.place,
  });
  return { doc, recount, differences };
}
