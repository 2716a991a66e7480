/**
 * Forward requests that custody signs for a resident (ERC-2771, lib/forward-request.ts): a call of
 * the MeetingHall that the relayer then submits gas-free, so that an owner whose key custody holds
 * announces a meeting, an administrator enters paper decisions or records a power of attorney. Only
 * the hall's functions of `FORWARDABLE_HALL_FUNCTIONS`, built here from a structured body (the
 * function and its arguments, each validated), never from calldata a client supplies. What only the
 * chain knows (an agenda's length for a paper decision's answers, who may announce) the hall checks
 * itself: before signing,
 * custody asks the hall how it answers the call made for the resident through the forwarder: a
 * refusal comes back as the hall's custom error and nothing is signed; otherwise the request carries
 * the gas that call needs, the forwarder's current nonce of the resident and a short deadline.
 */
import { ZeroAddress, getAddress, isAddress, type Interface } from "ethers";
import { z } from "zod";
import { MeetingHall__factory } from "#typechain/index.js";
import { MAX_QUESTIONS } from "#lib/ballot.js";
import { MEETING_TYPES, MeetingType } from "#lib/domain.js";
import { AppError } from "#lib/errors.js";
import type { ForwardRequest, ForwardableHallFunction } from "#lib/forward-request.js";
import type { CustodyChain } from "./chain.js";

const hall: Interface = MeetingHall__factory.createInterface();

const uint = (bits: number) =>
  z
    .union([z.string().regex(/^(0|[1-9]\d{0,77}|0x[0-9a-fA-F]{1,64})$/, "expected a decimal or 0x-hex integer"), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)])
    .transform((v) => BigInt(v))
    .refine((v) => v < 1n << BigInt(bits), `expected at most ${bits} bits`);
const address = z
  .string()
  .refine((s) => /^0x[0-9a-fA-F]{40}$/.test(s) && isAddress(s), "expected a 0x-prefixed 20-byte address (mixed case: its EIP-55 checksum)")
  .transform((s) => getAddress(s));
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "expected a 0x-prefixed 32-byte hash");

const paperDecision = z
  .strictObject({
    voter: address,
    representative: address.optional(),
    powerOfAttorney: uint(256).optional(),
    choices: uint(128),
    voidMask: uint(64).optional(),
    scanHash: bytes32.describe("Hash of the scanned paper decision, kept off chain"),
  })
  .refine((d) => (d.representative === undefined) === (d.powerOfAttorney === undefined), "representative and powerOfAttorney go together");

/**
 * The structured body of each function a resident may have custody sign a forward request for: one
 * per function of `FORWARDABLE_HALL_FUNCTIONS` (custody/test/forward-requests.test.ts holds them equal).
 */
export const forwardCallSchema = z.discriminatedUnion("function", [
  z.strictObject({
    function: z.literal("announceMeeting"),
    args: z.strictObject({
      buildingId: uint(256),
      meetingType: z.enum(MEETING_TYPES).describe("Annual (second quarter, art. 45 part 1) or Extraordinary"),
      administrator: address.optional().describe("Who enters paper decisions and records powers of attorney; the initiator when absent"),
      votingStart: uint(48),
      votingEnd: uint(48),
      agendaRef: bytes32,
      questions: z.array(z.strictObject({ textRef: bytes32, questionType: z.number().int().min(0).max(65_535) })).min(1).max(MAX_QUESTIONS),
    }),
  }),
  z.strictObject({
    function: z.literal("announcePoll"),
    args: z.strictObject({ buildingId: uint(256), votingStart: uint(48), votingEnd: uint(48), agendaRef: bytes32, questionRefs: z.array(bytes32).min(1).max(MAX_QUESTIONS) }),
  }),
  z.strictObject({ function: z.literal("cancel"), args: z.strictObject({ meetingId: uint(256) }) }),
  z.strictObject({
    function: z.literal("enterPaperDecisions"),
    args: z.strictObject({ meetingId: uint(256), decisions: z.array(paperDecision).min(1).max(100) }),
  }),
  z.strictObject({
    function: z.literal("recordPowerOfAttorney"),
    args: z.strictObject({
      principal: address,
      representative: address,
      buildingId: uint(64),
      meetingId: uint(64).describe("The one meeting it covers, or 0 for every meeting of the building in its validity"),
      validFrom: uint(48),
      validTo: uint(48),
      documentHash: bytes32,
    }),
  }),
  z.strictObject({ function: z.literal("revokePowerOfAttorney"), args: z.strictObject({ id: uint(256) }) }),
  z.strictObject({ function: z.literal("castBallot"), args: z.strictObject({ meetingId: uint(256), choices: uint(128) }) }),
  z.strictObject({
    function: z.literal("castBallotFor"),
    args: z.strictObject({ meetingId: uint(256), voter: address, powerOfAttorney: uint(256), choices: uint(128) }),
  }),
  z.strictObject({ function: z.literal("finalize"), args: z.strictObject({ meetingId: uint(256) }) }),
]);

export type ForwardCall = z.output<typeof forwardCallSchema>;

/** The hall's calldata for a structured call, and the meeting it concerns (for the signing log), if any. */
export function encodeCall(call: ForwardCall): { data: string; meetingId: bigint | undefined } {
  const name: ForwardableHallFunction = call.function;
  switch (call.function) {
    case "announceMeeting": {
      const a = call.args;
      return {
        data: hall.encodeFunctionData(name, [a.buildingId, MeetingType[a.meetingType], a.administrator ?? ZeroAddress, a.votingStart, a.votingEnd, a.agendaRef, a.questions]),
        meetingId: undefined,
      };
    }
    case "announcePoll": {
      const a = call.args;
      return { data: hall.encodeFunctionData(name, [a.buildingId, a.votingStart, a.votingEnd, a.agendaRef, a.questionRefs]), meetingId: undefined };
    }
    case "enterPaperDecisions": {
      const decisions = call.args.decisions.map((d) => ({
        voter: d.voter,
        representative: d.representative ?? ZeroAddress,
        powerOfAttorney: d.powerOfAttorney ?? 0n,
        choices: d.choices,
        voidMask: d.voidMask ?? 0n,
        scanHash: d.scanHash,
      }));
      return { data: hall.encodeFunctionData(name, [call.args.meetingId, decisions]), meetingId: call.args.meetingId };
    }
    case "recordPowerOfAttorney":
      return { data: hall.encodeFunctionData(name, [call.args]), meetingId: call.args.meetingId === 0n ? undefined : call.args.meetingId };
    case "revokePowerOfAttorney":
      return { data: hall.encodeFunctionData(name, [call.args.id]), meetingId: undefined };
    case "castBallot":
      return { data: hall.encodeFunctionData(name, [call.args.meetingId, call.args.choices]), meetingId: call.args.meetingId };
    case "castBallotFor":
      return { data: hall.encodeFunctionData(name, [call.args.meetingId, call.args.voter, call.args.powerOfAttorney, call.args.choices]), meetingId: call.args.meetingId };
    case "cancel":
    case "finalize":
      return { data: hall.encodeFunctionData(name, [call.args.meetingId]), meetingId: call.args.meetingId };
  }
}

export interface RequestOptions {
  /** Seconds the signed request stays valid. */
  ttlSeconds: number;
  /** The most gas a request may carry (the relayer's bound). */
  maxGas: bigint;
}

/**
 * The forward request to sign for `from`: the call encoded, the hall's answer to it as the forwarder
 * will make it (a refusal is `request_reverted` with the hall's custom error, and nothing is signed),
 * the gas it needs with a margin, the forwarder's current nonce and a short deadline.
 */
export async function buildRequest(chain: CustodyChain, from: string, call: ForwardCall, options: RequestOptions): Promise<{ request: ForwardRequest; meetingId: bigint | undefined }> {
  const { data, meetingId } = encodeCall(call);
  const answer = await chain.forwardedCall(from, data);
  if (!answer.ok) {
    throw new AppError("request_reverted", `the MeetingHall refuses ${call.function} for ${from}: ${answer.error.name}`, {
      details: { function: call.function, error: answer.error.name, args: answer.error.args },
    });
  }
  const gas = (answer.gas * 125n) / 100n + 20_000n;
  if (gas > options.maxGas) throw new AppError("value_too_large", `the call needs about ${gas} gas, more than the ${options.maxGas} a request may carry`);
  const [nonce, now] = await Promise.all([chain.nonce(from), chain.now()]);
  return {
    request: { from, to: chain.hallAddress, value: 0n, gas, nonce, deadline: BigInt(now + options.ttlSeconds), data },
    meetingId,
  };
}
