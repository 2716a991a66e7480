/**
 * The intake pipeline, in a fixed order, each step with its own error code:
 * schema → size → EIP-712 domain → signature (of the signer: the representative, when there is one)
 * → meeting open (and not closing), the ballot's deadline → power of attorney, for a
 * representative's ballot → eligible at the snapshot → not already voted or queued → durably queued.
 * A ballot already queued with the same id is acknowledged again (idempotent) and never queued twice.
 *
 * The signature step takes an EOA's signature in the one form the contract recovers (65 bytes,
 * v = 27 or 28, s ≤ n/2) and refuses any other at once. A signature that is not the signer's own is
 * a contract wallet's only if the signer has code; that wallet is asked (ERC-1271, with capped gas,
 * wallets.ts) last, once the meeting is open and the voter eligible and not yet voted, so nobody can
 * make intake call an arbitrary contract.
 *
 * Joint owners: a voter is eligible with weight of their own or through a joint group (premises held
 * jointly, e.g. by spouses), and has "already voted" when their own ballot is counted or queued, or
 * when they hold nothing alone and every joint group of theirs has been voted (on chain, or by a
 * ballot another holder queued here first). Two holders racing at the relayer are both acknowledged
 * only if both can still count; the queue decides atomically which claims a group (queue.ts).
 *
 * Near its meeting's close a ballot is acknowledged only if it can still be included in time: the
 * closing margin (closing.ts) is measured from how long acknowledged ballots take to land. The same
 * margin applies to the ballot's own deadline and to a representative's power of attorney.
 */
import { ZeroAddress, getAddress, type TypedDataDomain } from "ethers";
import { z } from "zod";
import { BallotHasher, isWellFormed } from "#lib/ballot.js";
import { REJECT_CODES } from "#lib/domain.js";
import { checksumAddress } from "#lib/keccak.js";
import { recoverSigner, signatureProblem, type SignatureProblem } from "#lib/recover.js";
import { AppError } from "#lib/errors.js";
import { holdsWeight, type VoterStanding } from "#lib/voter-standing.js";
import type { Eligibility } from "./eligibility.js";
import { MeetingDirectory, STATUS_ANNOUNCED, type MeetingInfo } from "./meetings.js";
import { powerProblem, type PowerProblem, type PowersOfAttorney } from "./powers.js";
import type { BallotRecord, BallotStore, JointClaim, JointStanding } from "./queue.js";
import type { SignatureVerifier } from "./verifier.js";
import type { VotedIndex } from "./voted-index.js";
import type { ContractWallets } from "./wallets.js";

const UINT64_MAX = (1n << 64n) - 1n;
const UINT128_MAX = (1n << 128n) - 1n;
const UINT256_MAX = (1n << 256n) - 1n;

const POWER_PROBLEMS: Record<PowerProblem, string> = {
  unknown: "no power of attorney has this id",
  revoked: "the power of attorney was revoked",
  other_principal: "the power of attorney is another owner's",
  other_representative: "the power of attorney names another representative",
  other_building: "the power of attorney is for another building",
  other_meeting: "the power of attorney covers another meeting",
  not_yet_valid: "the power of attorney is not valid yet",
  expired: "the power of attorney expires before the ballot could be counted",
};

const SIGNATURE_RULES: Record<SignatureProblem, string> = {
  length: "an account's signature is 65 bytes (r, s, v)",
  v: "v must be 27 or 28",
  high_s: "s must be in the lower half of the curve order (a malleable signature)",
};

const integer = z.union([
  z.string().regex(/^(0|[1-9]\d{0,77}|0x[0-9a-fA-F]{1,64})$/, "expected a decimal or 0x-hex integer"),
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
]);

// A pattern rather than a refinement, so that the published JSON Schema says the same; the checksum
// of a mixed-case address is checked right after the schema.
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte address");

/** A ballot post's body. The OpenAPI document publishes this schema (http/openapi.ts). */
export const ballotRequestSchema = z.strictObject({
  meetingId: integer.describe("Decimal or 0x-hex"),
  voter: address.describe("The voter's address (for a representative's ballot, the principal's); mixed case must be its EIP-55 checksum"),
  choices: integer.describe("Packed answers, two bits a question: 1 For, 2 Against, 3 Abstain"),
  deadline: integer.describe("The last chain timestamp (seconds) at which the ballot may count, as signed; at most the meeting's votingEnd"),
  representative: address
    .optional()
    .describe("Who signed the ballot for the voter under a power of attorney; absent, or the zero address, for the voter's own ballot"),
  powerOfAttorney: integer.optional().describe("The id of the representative's power of attorney (required with a representative, absent or 0 without)"),
  signature: z
    .string()
    .regex(/^0x([0-9a-fA-F]{2})+$/, "expected 0x-prefixed hex bytes")
    .describe("65-byte ECDSA signature of the ballot's EIP-712 digest by its signer (the representative, else the voter), or an ERC-1271 wallet's"),
  domain: z
    .strictObject({
      name: z.string().optional(),
      version: z.string().optional(),
      chainId: integer.optional(),
      verifyingContract: address.optional(),
    })
    .optional()
    .describe("The EIP-712 domain the client signed for, checked against the relayer's"),
});

export type BallotRequest = z.infer<typeof ballotRequestSchema>;

export interface IntakeResult {
  ballot: BallotRecord;
  duplicate: boolean;
}

/** What steps 5–8 found: the meeting, and the voter's standing when they hold joint groups. */
interface ChainFindings {
  meeting: MeetingInfo;
  joint: JointStanding | undefined;
}

export interface IntakeOptions {
  maxSignatureBytes: number;
  /** Recovers signers off the event loop; inline when absent. */
  verifier?: SignatureVerifier;
  /** Seconds before a meeting's close from which a ballot is refused as `meeting_closing` (none: 0). */
  closingMarginSeconds?: () => number;
}

/** An address in one case carries no checksum; one in mixed case must be its EIP-55 form. */
function checksumHolds(given: string, checksummed: string): boolean {
  const digits = given.slice(2);
  return digits === digits.toLowerCase() || digits === digits.toUpperCase() || given === checksummed;
}

/** Refuses the ballot with the step's code; the HTTP adapter answers it with the code's status. */
function fail(code: string, message: string, details?: Record<string, unknown>): never {
  throw new AppError(code, message, { details });
}

export class Intake {
  private readonly hasher: BallotHasher;

  constructor(
    private readonly store: BallotStore,
    private readonly meetings: MeetingDirectory,
    private readonly eligibility: Eligibility,
    private readonly votedIndex: VotedIndex,
    private readonly powers: PowersOfAttorney,
    private readonly wallets: ContractWallets,
    private readonly domain: TypedDataDomain,
    private readonly options: IntakeOptions,
  ) {
    this.hasher = new BallotHasher(domain);
  }

  async submit(body: unknown): Promise<IntakeResult> {
    // 1. schema
    const parsed = ballotRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      fail("invalid_request", `${issue.path.join(".") || "body"}: ${issue.message}`);
    }
    const req = parsed.data;
    const meetingId = BigInt(req.meetingId);
    const choices = BigInt(req.choices);
    const deadline = BigInt(req.deadline);
    const voter = checksumAddress(req.voter);
    if (!checksumHolds(req.voter, voter)) fail("invalid_request", "voter: the address checksum (mixed case) is wrong");
    const representative = req.representative === undefined ? ZeroAddress : checksumAddress(req.representative);
    if (req.representative !== undefined && !checksumHolds(req.representative, representative)) {
      fail("invalid_request", "representative: the address checksum (mixed case) is wrong");
    }
    const powerOfAttorney = req.powerOfAttorney === undefined ? 0n : BigInt(req.powerOfAttorney);
    const byRepresentative = representative !== ZeroAddress;
    if (byRepresentative && representative === voter) fail("invalid_request", "representative: a voter's own ballot names no representative");
    if (byRepresentative && powerOfAttorney === 0n) fail("invalid_request", "powerOfAttorney: required with a representative");
    if (!byRepresentative && powerOfAttorney !== 0n) fail("invalid_request", "powerOfAttorney: only a representative's ballot names a power of attorney");
    const contract = req.domain?.verifyingContract;
    if (contract !== undefined && !checksumHolds(contract, checksumAddress(contract))) {
      fail("invalid_request", "domain.verifyingContract: the address checksum (mixed case) is wrong");
    }

    // 2. size
    if (meetingId > UINT256_MAX) fail("value_too_large", "meetingId: exceeds uint256");
    if (choices > UINT128_MAX) fail("value_too_large", "choices: exceeds uint128");
    if (deadline > UINT64_MAX) fail("value_too_large", "deadline: exceeds uint64");
    if (powerOfAttorney > UINT256_MAX) fail("value_too_large", "powerOfAttorney: exceeds uint256");
    const signatureBytes = (req.signature.length - 2) / 2;
    if (signatureBytes > this.options.maxSignatureBytes) {
      fail("value_too_large", `signature: ${signatureBytes} bytes, at most ${this.options.maxSignatureBytes}`);
    }

    // 3. EIP-712 domain (when the client states what it signed)
    if (req.domain) this.checkDomain(req.domain);

    // 4. signature: the signer's own, or (asked after step 8) their contract wallet's
    const signer = byRepresentative ? representative : voter;
    const id = this.hasher.digest(meetingId, voter, choices, representative, deadline);
    const signature = req.signature.toLowerCase();
    const byWallet = !(await this.signedBy(id, signer, signature, byRepresentative));

    // 5–8. A ballot this relayer already holds is answered as a duplicate even where these checks
    // would now refuse it (voted: it is the vote; closed: it was cast in time). The queue itself
    // detects duplicates of ballots that pass, so the common path reads nothing extra.
    let findings: ChainFindings;
    try {
      findings = await this.checkChain({ meetingId, voter, choices, deadline, representative, powerOfAttorney });
      // 4, for a contract wallet: asked only now, for an eligible voter of an open meeting
      if (byWallet && !(await this.wallets.accepts(signer, id, signature))) {
        fail(REJECT_CODES.BadSignature, `the signer's contract wallet does not accept this signature (ERC-1271)`, { reason: "wallet_refused" });
      }
    } catch (err) {
      const known = this.store.get(id);
      if (known && known.state !== "rejected") return { ballot: known, duplicate: true };
      throw err;
    }

    // 9. durably queued
    const result = await this.store.enqueue({ id, meetingId, voter, choices, signature, representative, powerOfAttorney, deadline }, findings.joint);
    if (result.kind === "joint_taken") this.jointTaken(voter, meetingId, result.claims);
    if (result.kind === "duplicate" && !byWallet && result.ballot.signature !== signature && !this.isOwnSignature(id, signer, result.ballot.signature)) {
      // A copy queued before signatures were held to the canonical form (v = 0/1, say) would be
      // skipped by the contract: the signer's good signature takes its place while it waits.
      if (this.store.replaceSignature(id, signature)) return { ballot: { ...result.ballot, signature }, duplicate: true };
    }
    if (result.kind === "conflict" && result.ballot.state === "confirmed") {
      fail(REJECT_CODES.AlreadyVoted, `${voter} has already voted in meeting ${meetingId}`, { ballotId: result.ballot.id });
    }
    if (result.kind === "conflict") {
      fail("already_queued", `${voter} already has a ballot queued in meeting ${meetingId}`, { ballotId: result.ballot.id });
    }
    return { ballot: result.ballot, duplicate: result.kind === "duplicate" };
  }

  /**
   * Loads what intake needs about a meeting that is open or about to open (its window, the register
   * at its snapshot, who has voted), so that its first voters do not wait for it. A meeting whose
   * snapshot is not yet past is left for `later`; one closed, cancelled or finalized is `over`.
   */
  async prepare(meetingId: bigint): Promise<"prepared" | "later" | "over"> {
    const meeting = await this.meetings.meeting(meetingId);
    const { timestamp } = await this.meetings.now();
    if (meeting.status !== STATUS_ANNOUNCED || meeting.votingEnd <= timestamp) return "over";
    if (meeting.snapshot >= timestamp) return "later";
    await Promise.all([this.eligibility.prepare(meeting), this.votedIndex.prepare(meetingId)]);
    return "prepared";
  }

  /**
   * Steps 5–8: meeting open and not closing, the deadline, the representative's power of attorney,
   * the voter eligible at the snapshot and not already voted on chain.
   */
  private async checkChain(b: {
    meetingId: bigint;
    voter: string;
    choices: bigint;
    deadline: bigint;
    representative: string;
    powerOfAttorney: bigint;
  }): Promise<ChainFindings> {
    const { meetingId, voter } = b;
    // 5. meeting open (a refusal only on a fresh reading of the chain head)
    const meeting = await this.meetings.meeting(meetingId);
    const open = (t: number) => meeting.status === STATUS_ANNOUNCED && t >= meeting.votingStart && t < meeting.votingEnd;
    let { timestamp, blockNumber } = await this.meetings.now(false, (read, projected) => open(read) && open(projected));
    if (!open(timestamp)) ({ timestamp, blockNumber } = await this.meetings.now(true));
    if (!open(timestamp)) {
      fail(REJECT_CODES.NotOpen, `meeting ${meetingId} is not open for voting`, {
        votingStart: meeting.votingStart,
        votingEnd: meeting.votingEnd,
      });
    }
    // Too close to the close for an acknowledged ballot to be included in time: refused now.
    const margin = this.options.closingMarginSeconds?.() ?? 0;
    if (margin > 0 && timestamp + margin >= meeting.votingEnd) {
      fail("meeting_closing", `meeting ${meetingId} closes in ${meeting.votingEnd - timestamp} s, too soon for a ballot posted now to be counted`, {
        votingEnd: meeting.votingEnd,
        chainTime: timestamp,
        marginSeconds: margin,
      });
    }
    // The signed deadline: no later than the close, and not so soon that the ballot would expire on its way.
    if (b.deadline > BigInt(meeting.votingEnd)) {
      fail("invalid_deadline", `deadline ${b.deadline} is after the meeting's close (${meeting.votingEnd}); sign the ballot with a deadline no later than votingEnd`, {
        deadline: b.deadline.toString(),
        votingEnd: meeting.votingEnd,
      });
    }
    if (b.deadline < BigInt(timestamp + margin)) {
      fail(
        REJECT_CODES.Expired,
        b.deadline < BigInt(timestamp) ? `the ballot's deadline ${b.deadline} has passed` : `the ballot's deadline ${b.deadline} comes too soon for it to be counted`,
        { deadline: b.deadline.toString(), chainTime: timestamp, marginSeconds: margin },
      );
    }
    if (!isWellFormed(b.choices, meeting.questionCount)) {
      fail(REJECT_CODES.MalformedChoices, `choices must answer each of the ${meeting.questionCount} questions with 1, 2 or 3`);
    }

    // 6. a representative's power of attorney, as the contract will check it when the ballot lands
    if (b.representative !== ZeroAddress) {
      const power = await this.powers.power(b.powerOfAttorney, blockNumber);
      const problem = powerProblem(power, { voter, representative: b.representative, meetingId, buildingId: meeting.buildingId }, timestamp, timestamp + margin);
      if (problem !== undefined) {
        fail(REJECT_CODES.NoPowerOfAttorney, `${b.representative} may not vote for ${voter} in meeting ${meetingId} under power of attorney ${b.powerOfAttorney}: ${POWER_PROBLEMS[problem]}`, {
          reason: problem,
          powerOfAttorney: b.powerOfAttorney.toString(),
        });
      }
    }

    // 7. eligible at the snapshot: weight of their own, or through a joint group
    const standing = await this.eligibility.standing(meeting, voter);
    if (!holdsWeight(standing)) {
      fail(REJECT_CODES.NotEligible, `${voter} may not vote in meeting ${meetingId} (checked at its snapshot)`);
    }

    // 8. not already voted (on chain, as of the latest block) nor queued here (atomically, when queued)
    const voted = await this.votedIndex.votedIn(meetingId, blockNumber);
    if (voted.has(voter)) fail(REJECT_CODES.AlreadyVoted, `${voter} has already voted in meeting ${meetingId}`);
    return { meeting, joint: jointStanding(standing, voted, voter, meetingId) };
  }

  /** Refuses a joint owner's ballot that can count nothing: every group of theirs was claimed by another holder's ballot. */
  private jointTaken(voter: string, meetingId: bigint, claims: JointClaim[]): never {
    const jointGroups = claims.map((c) => ({ group: c.group, voter: c.voter, ballotId: c.ballotId }));
    if (claims.every((c) => c.state === "confirmed")) {
      fail(REJECT_CODES.AlreadyVoted, `${voter} owns nothing alone and every jointly held share of theirs has been voted in meeting ${meetingId}`, { jointGroups });
    }
    fail("already_queued", `${voter} owns nothing alone and a ballot of another joint owner, queued first, counts every jointly held share of theirs in meeting ${meetingId}`, {
      jointGroups,
    });
  }

  private checkDomain(d: NonNullable<BallotRequest["domain"]>): void {
    const ours = this.domain;
    const mismatch: string[] = [];
    if (d.name !== undefined && d.name !== ours.name) mismatch.push("name");
    if (d.version !== undefined && d.version !== ours.version) mismatch.push("version");
    if (d.chainId !== undefined && BigInt(d.chainId) !== BigInt(ours.chainId!)) mismatch.push("chainId");
    if (d.verifyingContract !== undefined && getAddress(d.verifyingContract) !== ours.verifyingContract) {
      mismatch.push("verifyingContract");
    }
    if (mismatch.length > 0) {
      fail("wrong_domain", `the ballot was signed for another EIP-712 domain (${mismatch.join(", ")})`, {
        expected: { name: ours.name, version: ours.version, chainId: Number(ours.chainId), verifyingContract: ours.verifyingContract },
      });
    }
  }

  /**
   * Whether the signer (the voter, or their representative) signed the ballot with their own key. A
   * signature that is not theirs is refused here unless the signer is a contract wallet (asked
   * later); one that breaks the canonical form is refused naming the rule, as the contract would
   * discard it.
   */
  private async signedBy(digest: string, signer: string, signature: string, byRepresentative: boolean): Promise<boolean> {
    const problem = signatureProblem(signature);
    if (problem === undefined) {
      const recovered = this.options.verifier ? await this.options.verifier.recover(digest, signature) : recoverSigner(digest, signature);
      if (recovered === signer.toLowerCase()) return true;
    }
    if (await this.wallets.isContract(signer)) return false;
    if (problem !== undefined) {
      fail(REJECT_CODES.BadSignature, `the signature is not in the form the contract accepts: ${SIGNATURE_RULES[problem]}`, { reason: problem });
    }
    fail(
      REJECT_CODES.BadSignature,
      `the signature is not the ${byRepresentative ? "representative" : "voter"}'s signature of this ballot (meeting, voter, choices, representative, deadline, domain)`,
      { reason: "wrong_signer" },
    );
  }

  /** Whether `signature` is the signer's own in the canonical form. */
  private isOwnSignature(digest: string, signer: string, signature: string): boolean {
    return signatureProblem(signature) === undefined && recoverSigner(digest, signature) === signer.toLowerCase();
  }
}

/**
 * What the queue needs of a joint owner's standing (undefined for a sole owner): each group with the
 * holder who voted it on chain already. Refuses the ballot when they hold nothing alone and every
 * group has been voted.
 */
function jointStanding(standing: VoterStanding, voted: ReadonlyMap<string, string>, voter: string, meetingId: bigint): JointStanding | undefined {
  if (standing.groups.length === 0) return undefined;
  const groups = standing.groups.map((g) => {
    const votedBy = voted.get(g.group);
    return votedBy === undefined ? { group: g.group, weight: g.weight } : { group: g.group, weight: g.weight, votedBy };
  });
  const open = groups.filter((g) => g.votedBy === undefined && g.weight > 0n);
  if (standing.weight === 0n && open.length === 0) {
    fail(REJECT_CODES.AlreadyVoted, `${voter} owns nothing alone and every jointly held share of theirs has been voted in meeting ${meetingId}`, {
      jointGroups: groups.map((g) => ({ group: g.group, voter: g.votedBy })),
    });
  }
  return { ownWeight: standing.weight, groups };
}
