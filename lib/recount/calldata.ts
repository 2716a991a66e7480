/**
 * The calls a transaction made to MeetingHall, read from its calldata: a transaction sent to the hall,
 * or a request relayed by the deployment's trusted ERC-2771 forwarder (`execute`, or an atomic
 * `executeBatch`), whose signer the hall acts for. A transaction that reaches the hall any other way
 * (through a contract wallet, a non-atomic batch) cannot be read from its calldata alone.
 */
import { ZeroAddress, getAddress, type Result, type TransactionResponse } from "ethers";
import { forwarderInterface, hallInterface } from "./chain.js";

export interface HallCall {
  /** The account the hall acted for: the transaction's sender, or the forward request's signer. */
  sender: string;
  /** Sent to the hall, or relayed by the forwarder. */
  via: "direct" | "forwarded";
  /** The hall function called, or undefined for calldata no hall function matches. */
  name: string | undefined;
  args: Result | undefined;
}

function decode(data: string, sender: string, via: HallCall["via"]): HallCall {
  try {
    const parsed = hallInterface.parseTransaction({ data });
    return { sender: getAddress(sender), via, name: parsed?.name, args: parsed?.args };
  } catch {
    return { sender: getAddress(sender), via, name: undefined, args: undefined };
  }
}

/** The hall calls of a transaction in the order they ran, or undefined when its calldata does not tell. */
export function hallCallsOf(tx: TransactionResponse, hall: string, forwarder: string): HallCall[] | undefined {
  const to = tx.to?.toLowerCase();
  if (to === hall.toLowerCase()) return [decode(tx.data, tx.from, "direct")];
  if (to !== forwarder.toLowerCase()) return undefined;
  let parsed;
  try {
    parsed = forwarderInterface.parseTransaction({ data: tx.data });
  } catch {
    return undefined;
  }
  type Request = { from: string; to: string; data: string };
  const toHall = (requests: Request[]) => requests.filter((r) => r.to.toLowerCase() === hall.toLowerCase()).map((r) => decode(r.data, r.from, "forwarded"));
  if (parsed?.name === "execute") return toHall([parsed.args[0] as Request]);
  // an atomic batch runs every request or none; a non-atomic one may skip some
  if (parsed?.name === "executeBatch" && parsed.args[1] === ZeroAddress) return toHall([...(parsed.args[0] as Request[])]);
  return undefined;
}
