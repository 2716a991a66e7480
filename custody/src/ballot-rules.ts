/**
 * When custody signs a ballot: for an announced meeting whose voting is open and not about to close,
 * with choices that answer its agenda, for a voter eligible at the meeting's snapshot — the resident,
 * or, for a representative's ballot, the principal whose power of attorney names the resident and
 * lets them vote in this meeting now. All of it is read from the chain at the time of signing, and the
 * ballot is signed with the meeting's close (`votingEnd`) as its deadline, so the signature counts
 * for nothing after the window even where a meeting could be re-opened or a later ballot presented.
 *
 * This is what keeps a stolen token from collecting signatures in advance: for a meeting id that does
 * not exist yet, for a meeting the resident may not vote in, or for a principal who gave no power.
 */
import { isWellFormed } from "#lib/ballot.js";
import { REJECT_CODES } from "#lib/domain.js";
import { AppError } from "#lib/errors.js";
import { holdsWeight } from "#lib/voter-standing.js";
import type { CustodyChain, MeetingFacts } from "./chain.js";

export interface BallotToSign {
  meetingId: bigint;
  /** The voter whose ballot it is: the resident, or their principal. */
  voter: string;
  /** The resident when they sign for a principal, else undefined. */
  representative?: string;
  powerOfAttorney?: bigint;
  choices: bigint;
}

function fail(code: string, message: string, details?: Record<string, unknown>): never {
  throw new AppError(code, message, { details });
}

/**
 * Checks a ballot against the chain and returns the deadline it is signed with (the meeting's
 * `votingEnd`). `closingMarginSeconds`: how long before the close custody stops signing, since a
 * ballot signed then could not reach the chain in time (the relayer's own closing margin).
 */
export async function checkBallot(chain: CustodyChain, b: BallotToSign, closingMarginSeconds: number): Promise<{ deadline: bigint; meeting: MeetingFacts }> {
  const meeting = await chain.meeting(b.meetingId);
  if (!meeting) fail("unknown_meeting", `no meeting has id ${b.meetingId}`);
  const now = await chain.now();
  if (!meeting.announced || now < meeting.votingStart || now >= meeting.votingEnd) {
    fail(REJECT_CODES.NotOpen, `meeting ${b.meetingId} is not open for voting`, { votingStart: meeting.votingStart, votingEnd: meeting.votingEnd });
  }
  if (now + closingMarginSeconds >= meeting.votingEnd) {
    fail("meeting_closing", `meeting ${b.meetingId} closes in ${meeting.votingEnd - now} s, too soon for a ballot signed now to be counted`, {
      votingEnd: meeting.votingEnd,
      chainTime: now,
      marginSeconds: closingMarginSeconds,
    });
  }
  if (!isWellFormed(b.choices, meeting.questionCount)) {
    fail(REJECT_CODES.MalformedChoices, `choices must answer each of the ${meeting.questionCount} questions with 1, 2 or 3`);
  }
  if (b.representative !== undefined) {
    const id = b.powerOfAttorney ?? 0n;
    const power = await chain.power(id);
    const why = !power
      ? "no power of attorney has this id"
      : power.revoked
        ? "it was revoked"
        : power.principal !== b.voter
          ? "it is another owner's"
          : power.representative !== b.representative
            ? "it names another representative"
            : power.buildingId !== meeting.buildingId
              ? "it is for another building"
              : power.meetingId !== 0n && power.meetingId !== b.meetingId
                ? "it covers another meeting"
                : now < power.validFrom || now > power.validTo
                  ? "it is not valid now"
                  : undefined;
    if (why !== undefined) {
      fail(REJECT_CODES.NoPowerOfAttorney, `power of attorney ${id} does not let this resident vote for ${b.voter} in meeting ${b.meetingId}: ${why}`, {
        powerOfAttorney: id.toString(),
      });
    }
  }
  const standing = await chain.standing(meeting, b.voter);
  if (!holdsWeight(standing)) {
    fail(REJECT_CODES.NotEligible, `${b.voter} may not vote in meeting ${b.meetingId} (checked at its snapshot)`);
  }
  return { deadline: BigInt(meeting.votingEnd), meeting };
}
