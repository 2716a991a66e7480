/**
 * Intake of signed ERC-2771 forward requests for the MeetingHall (`POST /v1/requests`): what lets an
 * owner whose key the custodial wallet holds announce a meeting, an administrator enter paper
 * decisions or record a power of attorney, without holding ether. In a fixed order, each step with
 * its own error code:
 *
 * schema → size → target (the hall only, no value, bounded gas) → function (an allowed hall function,
 * canonically encoded) → deadline (in the future, beyond the closing margin) → signature (the
 * canonical form, recovered to `from`) → the signer's own rate limit → nonce (the forwarder's current
 * one for the signer) → `Forwarder.verify` → simulation (the hall's answer to the call as the
 * forwarder will make it; a refusal is the hall's custom error by name and arguments) → durably
 * queued (one live request per signer and nonce).
 *
 * An acknowledged request is sent with `Forwarder.execute` and followed to confirmation with the
 * ballots' discipline (queue.ts, submitter.ts): recorded before it is broadcast, replaced when stuck,
 * confirmed only at the configured depth, and, since `execute` consumes the signer's nonce, executed
 * at most once whoever submits it.
 */
import { getAddress, type TypedDataDomain } from "ethers";
import { z } from "zod";
import { AppError } from "#lib/errors.js";
import { forwarderDomain } from "#lib/forward-request.js";
import { checksumAddress } from "#lib/keccak.js";
import { recoverSigner, signatureProblem } from "#lib/recover.js";
import { chainUnavailable, isUnreachable } from "#lib/rpc.js";
import { forwardableCall, requestDigest, type ForwarderCalls } from "./forwarding.js";
import type { MeetingDirectory } from "./meetings.js";
import type { BallotStore, RequestRecord } from "./queue.js";

const UINT48_MAX = (1n << 48n) - 1n;
const UINT256_MAX = (1n << 256n) - 1n;

const integer = z.union([
  z.string().regex(/^(0|[1-9]\d{0,77}|0x[0-9a-fA-F]{1,64})$/, "expected a decimal or 0x-hex integer"),
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
]);
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte address");
const bytes = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, "expected 0x-prefixed hex bytes");

/** A forward request post's body: the signed `ForwardRequest` with its signature. The OpenAPI document publishes it. */
export const forwardRequestSchema = z.strictObject({
  from: address.describe("The signer, for whom the hall acts"),
  to: address.describe("The MeetingHall's address (nothing else is relayed)"),
  value: integer.describe("Always 0"),
  gas: integer.describe("Gas forwarded to the hall's call"),
  nonce: integer.describe("The forwarder's current nonce for the signer (Forwarder.nonces(from))"),
  deadline: integer.describe("The last chain timestamp (seconds) at which the request may execute"),
  data: bytes.describe("The hall call's ABI-encoded data: announceMeeting, announcePoll, cancel, enterPaperDecisions, recordPowerOfAttorney, revokePowerOfAttorney, castBallot, castBallotFor or finalize"),
  signature: bytes.describe("65-byte ECDSA signature of the request's EIP-712 digest (domain \"Digital Home Forwarder\") by `from`"),
});

export type ForwardRequestBody = z.infer<typeof forwardRequestSchema>;

export interface RequestIntakeOptions {
  /** The most gas a request may forward to the hall. */
  maxGas: bigint;
  /** The longest `data` taken, in bytes. */
  maxDataBytes: number;
  /** Seconds before its deadline from which a request is refused (the ballots' closing margin). */
  closingMarginSeconds?: () => number;
  /** Takes a token from the signer's own bucket: 0, or the seconds to wait. */
  signerLimit?: (signer: string) => number;
}

export interface RequestIntakeResult {
  request: RequestRecord;
  duplicate: boolean;
}

function fail(code: string, message: string, details?: Record<string, unknown>): never {
  throw new AppError(code, message, { details });
}

function checksumHolds(given: string, checksummed: string): boolean {
  const digits = given.slice(2);
  return digits === digits.toLowerCase() || digits === digits.toUpperCase() || given === checksummed;
}

export class RequestIntake {
  private readonly domain: TypedDataDomain;

  constructor(
    private readonly store: BallotStore,
    private readonly meetings: MeetingDirectory,
    private readonly forwarder: ForwarderCalls,
    chainId: bigint,
    private readonly options: RequestIntakeOptions,
  ) {
    this.domain = forwarderDomain(chainId, forwarder.forwarderAddress);
  }

  async submit(body: unknown): Promise<RequestIntakeResult> {
    // 1. schema
    const parsed = forwardRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      fail("invalid_request", `${issue.path.join(".") || "body"}: ${issue.message}`);
    }
    const req = parsed.data;
    const from = checksumAddress(req.from);
    const to = checksumAddress(req.to);
    if (!checksumHolds(req.from, from)) fail("invalid_request", "from: the address checksum (mixed case) is wrong");
    if (!checksumHolds(req.to, to)) fail("invalid_request", "to: the address checksum (mixed case) is wrong");
    const value = BigInt(req.value);
    const gas = BigInt(req.gas);
    const nonce = BigInt(req.nonce);
    const deadline = BigInt(req.deadline);
    const data = req.data.toLowerCase();
    const signature = req.signature.toLowerCase();

    // 2. size
    for (const [name, v] of [["value", value], ["gas", gas], ["nonce", nonce]] as const) {
      if (v > UINT256_MAX) fail("value_too_large", `${name}: exceeds uint256`);
    }
    if (deadline > UINT48_MAX) fail("value_too_large", "deadline: exceeds uint48");
    const dataBytes = (data.length - 2) / 2;
    if (dataBytes > this.options.maxDataBytes) fail("value_too_large", `data: ${dataBytes} bytes, at most ${this.options.maxDataBytes}`);

    // 3. target: the hall, no value, bounded gas
    if (to !== getAddress(this.forwarder.hallAddress)) {
      fail("wrong_target", `only calls of the MeetingHall (${getAddress(this.forwarder.hallAddress)}) are relayed`, { expected: getAddress(this.forwarder.hallAddress) });
    }
    if (value !== 0n) fail("invalid_value", "value: a relayed request carries no ether (0)");
    if (gas === 0n || gas > this.options.maxGas) fail("gas_too_high", `gas: expected 1 to ${this.options.maxGas}, got ${gas}`, { maxGas: this.options.maxGas.toString() });

    // 4. function: allowed, and encoded as the hall's coder encodes it
    const call = forwardableCall(data);
    if ("problem" in call) {
      if (call.problem === "not_allowed") fail("function_not_allowed", "data: the relayer forwards only announceMeeting, announcePoll, cancel, enterPaperDecisions, recordPowerOfAttorney, revokePowerOfAttorney, castBallot, castBallotFor and finalize");
      fail("malformed_call", "data: not the ABI encoding of the function's arguments");
    }

    // 5. deadline
    const { timestamp } = await this.meetings.now();
    const margin = this.options.closingMarginSeconds?.() ?? 0;
    if (deadline < BigInt(timestamp + margin)) {
      fail("request_expired", deadline < BigInt(timestamp) ? `the request's deadline ${deadline} has passed` : `the request's deadline ${deadline} comes too soon for it to be executed`, {
        deadline: deadline.toString(),
        chainTime: timestamp,
        marginSeconds: margin,
      });
    }

    // 6. signature: canonical, and by `from`
    const id = requestDigest(this.domain, { from, to, value, gas, nonce, deadline, data });
    const problem = signatureProblem(signature);
    if (problem !== undefined) fail("bad_signature", "signature: an account's 65-byte signature with v = 27 or 28 and a low s", { reason: problem });
    if (recoverSigner(id, signature) !== from.toLowerCase()) {
      fail("bad_signature", "the signature is not from's signature of this request (from, to, value, gas, nonce, deadline, data, domain)", { reason: "wrong_signer" });
    }

    // 7. the signer's own limit (after the signature, so nobody spends another's)
    const retryAfter = this.options.signerLimit?.(from) ?? 0;
    if (retryAfter > 0) throw new AppError("rate_limited", `too many requests from ${from}; retry in ${retryAfter} s`, { details: { retryAfter } });

    const known = this.store.getRequest(id);
    if (known && known.state !== "rejected") return { request: known, duplicate: true };

    try {
      // 8. the forwarder's current nonce
      const current = await this.forwarder.nonce(from);
      if (nonce !== current) {
        fail("wrong_nonce", `nonce: the forwarder expects ${current} for ${from}, got ${nonce}`, { expected: current.toString() });
      }
      // 9. the forwarder's own check (the hall trusts it, the deadline, the signer)
      if (!(await this.forwarder.verify({ from, to, value, gas, deadline, data, signature }))) {
        fail("bad_signature", "the forwarder does not verify this request", { reason: "forwarder_refused" });
      }
      // 10. the hall's answer to the call
      const sim = await this.forwarder.simulateCall({ from, data, gas });
      if (sim.kind === "unreachable") throw sim.cause;
      if (sim.kind === "revert") {
        const error = sim.error ?? { name: "reverted", args: {} };
        fail("request_reverted", `the MeetingHall refuses ${call.name} for ${from}: ${error.name}`, { function: call.name, error: error.name, args: error.args });
      }
    } catch (err) {
      if (isUnreachable(err)) throw chainUnavailable(err);
      throw err;
    }

    // 11. durably queued
    const result = this.store.insertRequest({ id, from, to, gas, nonce, deadline, data, signature, functionName: call.name });
    if (result.kind === "conflict") {
      fail("already_queued", `${from} already has a request with nonce ${nonce} queued`, { requestId: result.request.id });
    }
    return { request: result.request, duplicate: result.kind === "duplicate" };
  }
}
