/**
 * What the relayer relays of ERC-2771 forward requests (lib/forward-request.ts) and how: only calls
 * of the MeetingHall, only the functions of `FORWARDABLE_HALL_FUNCTIONS`, ABI-encoded exactly as the
 * hall's coder encodes them; a request is simulated as the hall will run it (an `eth_call` from the
 * forwarder with the signer appended, as ERC-2771 does), so a refusal is the hall's own custom error
 * by name and arguments; it is sent with `Forwarder.execute`, which consumes the signer's nonce, so a
 * request reaches the chain at most once whoever submits it.
 */
import { Interface, TypedDataEncoder, toQuantity, type JsonRpcProvider, type TypedDataDomain } from "ethers";
import { Forwarder__factory, MeetingHall__factory } from "#typechain/index.js";
import { decodeContractError, revertData, type DecodedError } from "#lib/contract-errors.js";
import { FORWARDABLE_HALL_FUNCTIONS, FORWARD_REQUEST_TYPES, type ForwardRequest, type ForwardableHallFunction } from "#lib/forward-request.js";
import { isUnreachable } from "#lib/rpc.js";

export const forwarderInterface = Forwarder__factory.createInterface();
// untyped: the functions are looked up by name from the allowlist
const hallInterface: Interface = MeetingHall__factory.createInterface();

const ALLOWED = new Map<string, ForwardableHallFunction>(
  FORWARDABLE_HALL_FUNCTIONS.map((name) => [hallInterface.getFunction(name)!.selector, name]),
);

/** Gas `execute` itself takes around the forwarded call (signature, nonce, the target's trust check). */
export const EXECUTE_OVERHEAD_GAS = 100_000n;

/** The hall function a call's data names, if it is one a forward request may call and encoded as the hall's coder encodes it. */
export function forwardableCall(data: string): { name: ForwardableHallFunction } | { problem: "not_allowed" | "malformed" } {
  const name = ALLOWED.get(data.slice(0, 10).toLowerCase());
  if (!name) return { problem: "not_allowed" };
  try {
    const args = hallInterface.decodeFunctionData(name, data);
    // canonical: the bytes are those of the arguments, nothing hidden after or between them
    if (hallInterface.encodeFunctionData(name, args).toLowerCase() !== data.toLowerCase()) return { problem: "malformed" };
    return { name };
  } catch {
    return { problem: "malformed" };
  }
}

/** The EIP-712 digest of a forward request: what its signer signs, and its id at the relayer. */
export function requestDigest(domain: TypedDataDomain, request: ForwardRequest): string {
  return TypedDataEncoder.hash(domain, FORWARD_REQUEST_TYPES, request);
}

export type RequestSimulation =
  | { kind: "ok" }
  | { kind: "revert"; error: DecodedError | undefined }
  | { kind: "unreachable"; cause: unknown };

/** The ERC-2771 calldata the hall receives for a request: its data with the signer's address appended. */
export function forwardedData(request: { from: string; data: string }): string {
  return request.data + request.from.slice(2).toLowerCase();
}

/** `Forwarder.execute(request)`'s calldata. */
export function encodeExecute(request: Pick<ForwardRequest, "from" | "to" | "gas" | "deadline" | "data"> & { value?: bigint; signature: string }): string {
  const { from, to, gas, deadline, data, signature } = request;
  return forwarderInterface.encodeFunctionData("execute", [{ from, to, value: request.value ?? 0n, gas, deadline, data, signature }]);
}

/** The gas limit of an `execute` transaction: the request's gas, the 1/63 the forwarder keeps back, and its own work. */
export function executeGasLimit(gas: bigint): bigint {
  return gas + gas / 63n + EXECUTE_OVERHEAD_GAS;
}

/** The chain calls behind a forward request: the forwarder's nonce and check, and the simulations. */
export class ForwarderCalls {
  constructor(
    private readonly provider: JsonRpcProvider,
    readonly forwarderAddress: string,
    readonly hallAddress: string,
  ) {}

  /** The forwarder's current nonce for `signer`. */
  async nonce(signer: string): Promise<bigint> {
    const data = forwarderInterface.encodeFunctionData("nonces", [signer]);
    const answer: string = await this.provider.send("eth_call", [{ to: this.forwarderAddress, data }, "latest"]);
    return BigInt(forwarderInterface.decodeFunctionResult("nonces", answer)[0]);
  }

  /** `Forwarder.verify`: the target trusts the forwarder, the deadline has not passed, and `from` signed it with the current nonce. */
  async verify(request: Omit<ForwardRequest, "nonce"> & { signature: string }): Promise<boolean> {
    const { from, to, value, gas, deadline, data, signature } = request;
    const call = forwarderInterface.encodeFunctionData("verify", [{ from, to, value, gas, deadline, data, signature }]);
    const answer: string = await this.provider.send("eth_call", [{ to: this.forwarderAddress, data: call }, "latest"]);
    return Boolean(forwarderInterface.decodeFunctionResult("verify", answer)[0]);
  }

  /** Runs the call as the hall will receive it from the forwarder, with the request's gas. */
  async simulateCall(request: { from: string; data: string; gas: bigint }): Promise<RequestSimulation> {
    return this.run({ from: this.forwarderAddress, to: this.hallAddress, data: forwardedData(request), gas: toQuantity(request.gas) });
  }

  /** Runs `execute(request)` from the sender that will send it, with the gas limit it will carry. */
  async simulateExecute(data: string, from: string, gasLimit: bigint): Promise<RequestSimulation> {
    return this.run({ from, to: this.forwarderAddress, data, gas: toQuantity(gasLimit) });
  }

  private async run(call: { from: string; to: string; data: string; gas: string }): Promise<RequestSimulation> {
    try {
      await this.provider.send("eth_call", [call, "latest"]);
      return { kind: "ok" };
    } catch (err) {
      if (isUnreachable(err)) return { kind: "unreachable", cause: err };
      const data = revertData(err);
      if ((err as { code?: string }).code === "CALL_EXCEPTION" || data !== undefined) return { kind: "revert", error: decodeContractError(data) };
      return { kind: "unreachable", cause: err };
    }
  }
}
