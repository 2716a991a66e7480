/**
 * Who may read a restricted document (lib/document-access.ts). The platform's services may read any;
 * a resident may read one when the rule of its purpose names them for its meeting:
 *
 * - `protocol`: the owners of the meeting's building at its snapshot, its initiator and its
 *   administrator — checked on chain (`MeetingHall.getMeeting`, `BuildingRegistry.isOwnerAt`);
 * - `paper-decision`, `power-of-attorney`: the resident who stored it, and the meeting's
 *   administrator (on chain), who enters the decision or records the power.
 *
 * A resident's token names their person id; their account comes from the registrar's register
 * (`GET /v1/persons/:personId`, the registrar's token), the one place that ties the two. A resident
 * the register does not know can be the uploader only. Without a chain or a registrar configured,
 * restricted documents are read by services and uploaders alone.
 */
import { getAddress, isAddress } from "ethers";
import { BuildingRegistry__factory, MeetingHall__factory, type BuildingRegistry, type MeetingHall } from "#typechain/index.js";
import type { DocumentAccess } from "#lib/document-access.js";
import type { Deployment } from "#lib/deployment.js";
import { AppError } from "#lib/errors.js";
import { HttpJsonRpcProvider, chainUnavailable, isUnreachable } from "#lib/rpc.js";
import { uploaderKey, type Uploader } from "./store.js";

export interface ReadCheck {
  /** Whether `reader` may read a document of `access` first stored by `uploader` (`resident:<id>` or `service:<name>`). */
  mayRead(access: DocumentAccess, uploader: string, reader: Uploader): Promise<boolean>;
  close(): void;
}

/** A person's account as the registrar's register has it. */
export interface Accounts {
  addressOf(personId: string): Promise<string | undefined>;
}

export class RegistrarAccounts implements Accounts {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async addressOf(personId: string): Promise<string | undefined> {
    const url = new URL(`v1/persons/${encodeURIComponent(personId)}`, this.baseUrl.endsWith("/") ? this.baseUrl : `${this.baseUrl}/`);
    let res: Response;
    try {
      res = await fetch(url, { headers: { authorization: `Bearer ${this.token}` }, signal: AbortSignal.timeout(this.timeoutMs), redirect: "error" });
    } catch (err) {
      throw new AppError("registrar_unavailable", `the registrar at ${url.origin} cannot be reached to look up a reader: ${(err as Error).message}`, { cause: err, retryable: true });
    }
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    const body = (await res.json().catch(() => ({}))) as { address?: unknown };
    if (!res.ok || typeof body.address !== "string" || !isAddress(body.address)) {
      throw new AppError("registrar_unavailable", `the registrar answered ${res.status} for a reader's account`, { retryable: true });
    }
    return getAddress(body.address);
  }
}

/** The rules above, with the chain's views and the registrar's accounts; `chain` absent: uploaders only. */
export function readCheck(options: { chain?: { rpcUrl: string; deployment: Deployment }; accounts?: Accounts }): ReadCheck {
  let provider: HttpJsonRpcProvider | undefined;
  let hall: MeetingHall | undefined;
  let registry: BuildingRegistry | undefined;
  if (options.chain) {
    const { rpcUrl, deployment } = options.chain;
    provider = new HttpJsonRpcProvider(rpcUrl, deployment.chainId, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
    hall = MeetingHall__factory.connect(deployment.contracts.MeetingHall.address, provider);
    registry = BuildingRegistry__factory.connect(deployment.contracts.BuildingRegistry.address, provider);
  }
  const onChain = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      throw isUnreachable(err) ? chainUnavailable(err) : err;
    }
  };
  return {
    async mayRead(access, uploader, reader) {
      if (access.level === "public" || reader.kind === "service") return true;
      if (uploaderKey(reader) === uploader) return true;
      if (!hall || !registry || !options.accounts) return false;
      const address = await options.accounts.addressOf(reader.id);
      if (!address) return false;
      const meeting = await onChain(() => hall!.getMeeting(access.meetingId));
      if (Number(meeting.status) === 0) return false;
      const is = (a: string) => getAddress(a) === address;
      if (is(meeting.administrator)) return true;
      if (access.purpose !== "protocol") return false;
      if (is(meeting.initiator)) return true;
      return onChain(() => registry!.isOwnerAt(meeting.buildingId, address, meeting.snapshot));
    },
    close: () => provider?.destroy(),
  };
}
