/**
 * The ERC-2771 forward request of Digital Home's forwarder (contracts/Forwarder.sol, OpenZeppelin's
 * `ERC2771Forwarder`): its EIP-712 domain and types, defined once for the tests, custody and the
 * relayer. An account signs a request to call MeetingHall (announce, cancel, enter paper decisions,
 * record a power of attorney); anyone submits it with `execute`, and the hall acts for the signer.
 */
import { getAddress, type TypedDataDomain } from "ethers";

/** EIP-712 domain name and version of the forwarder (see its constructor). */
export const FORWARDER_DOMAIN_NAME = "Digital Home Forwarder";
export const FORWARDER_DOMAIN_VERSION = "1";

/** EIP-712 types of `ForwardRequest(address from,address to,uint256 value,uint256 gas,uint256 nonce,uint48 deadline,bytes data)`. */
export const FORWARD_REQUEST_TYPES = {
  ForwardRequest: [
    { name: "from", type: "address" },
    { name: "to", type: "address" },
    { name: "value", type: "uint256" },
    { name: "gas", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
    { name: "data", type: "bytes" },
  ],
} as const satisfies Record<string, Array<{ name: string; type: string }>>;

/** What the signer signs; `nonce` is the forwarder's `nonces(from)` at signing. */
export interface ForwardRequest {
  from: string;
  to: string;
  value: bigint;
  gas: bigint;
  nonce: bigint;
  deadline: bigint;
  data: string;
}

/** What `execute` takes: the request without its nonce (the forwarder reads it), with the signature. */
export interface ForwardRequestData {
  from: string;
  to: string;
  value: bigint;
  gas: bigint;
  deadline: bigint;
  data: string;
  signature: string;
}

/** The domain of a forwarder deployment. */
export function forwarderDomain(chainId: bigint | number, forwarder: string): TypedDataDomain {
  return {
    name: FORWARDER_DOMAIN_NAME,
    version: FORWARDER_DOMAIN_VERSION,
    chainId: BigInt(chainId),
    verifyingContract: getAddress(forwarder),
  };
}

/** The `execute` argument for a signed request. */
export function forwardRequestData(request: ForwardRequest, signature: string): ForwardRequestData {
  const { from, to, value, gas, deadline, data } = request;
  return { from, to, value, gas, deadline, data, signature };
}

/**
 * The MeetingHall functions a forward request may call: what an initiator, an administrator, a
 * principal or a voter does without holding ether. The relayer relays nothing else, and the
 * custodial wallet signs nothing else.
 */
export const FORWARDABLE_HALL_FUNCTIONS = [
  "announceMeeting",
  "announcePoll",
  "cancel",
  "enterPaperDecisions",
  "recordPowerOfAttorney",
  "revokePowerOfAttorney",
  "castBallot",
  "castBallotFor",
  "finalize",
] as const;
export type ForwardableHallFunction = (typeof FORWARDABLE_HALL_FUNCTIONS)[number];
