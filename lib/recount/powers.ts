/**
 * Powers of attorney rebuilt from the hall's events (`PowerOfAttorneyRecorded`, `PowerOfAttorneyRevoked`)
 * and checked as the contract checks them when a representative's ballot counts: the principal and
 * the representative, the building, the meeting (or all meetings), the period [validFrom, validTo]
 * at the ballot's block time, and no revocation before the ballot in chain order.
 */
import { getAddress } from "ethers";
import { ChainReader, hallInterface, topicOf, type DecodedLog } from "./chain.js";

export interface PowerOfAttorneyRecord {
  id: bigint;
  principal: string;
  representative: string;
  buildingId: bigint;
  meetingId: bigint;
  validFrom: number;
  validTo: number;
  documentHash: string;
  recordedBy: string;
  recorded: { blockNumber: number; logIndex: number; transactionHash: string };
  revoked?: { blockNumber: number; logIndex: number; transactionHash: string; by: string };
}

/** A point of the chain: a log's block and index. */
export interface ChainPoint {
  blockNumber: number;
  logIndex: number;
}

const before = (a: ChainPoint, b: ChainPoint) => a.blockNumber < b.blockNumber || (a.blockNumber === b.blockNumber && a.logIndex < b.logIndex);

export class PowersOfAttorney {
  private constructor(readonly byId: Map<bigint, PowerOfAttorneyRecord>) {}

  static async load(reader: ChainReader): Promise<PowersOfAttorney> {
    const events = await reader.logs("hall", [[topicOf(hallInterface, "PowerOfAttorneyRecorded"), topicOf(hallInterface, "PowerOfAttorneyRevoked")]]);
    return PowersOfAttorney.fromEvents(events);
  }

  static fromEvents(events: DecodedLog[]): PowersOfAttorney {
    const byId = new Map<bigint, PowerOfAttorneyRecord>();
    for (const e of events) {
      const a = e.args;
      const at = { blockNumber: e.blockNumber, logIndex: e.logIndex, transactionHash: e.transactionHash };
      if (e.name === "PowerOfAttorneyRecorded") {
        if (byId.has(a.id)) continue; // ids are unique; a second record of one id is not the contract's
        byId.set(a.id, {
          id: a.id,
          principal: getAddress(a.principal),
          representative: getAddress(a.representative),
          buildingId: a.buildingId,
          meetingId: a.meetingId,
          validFrom: Number(a.validFrom),
          validTo: Number(a.validTo),
          documentHash: a.documentHash,
          recordedBy: getAddress(a.recordedBy),
          recorded: at,
        });
      } else {
        const p = byId.get(a.id);
        if (p && !p.revoked) p.revoked = { ...at, by: getAddress(a.revokedBy) };
      }
    }
    return new PowersOfAttorney(byId);
  }

  /**
   * Whether power `id` lets `representative` cast `voter`'s ballot in `meetingId` of `buildingId` at
   * `point` of the chain, whose block time is `timestamp`; if not, why.
   */
  check(id: bigint, voter: string, representative: string, buildingId: bigint, meetingId: bigint, point: ChainPoint, timestamp: number): { valid: true } | { valid: false; why: string } {
    const p = this.byId.get(id);
    if (!p || !before(p.recorded, point)) return { valid: false, why: `power of attorney ${id} was not recorded before the ballot` };
    if (p.principal.toLowerCase() !== voter.toLowerCase()) return { valid: false, why: `power of attorney ${id} is from ${p.principal}` };
    if (p.representative.toLowerCase() !== representative.toLowerCase()) return { valid: false, why: `power of attorney ${id} is to ${p.representative}` };
    if (p.buildingId !== buildingId) return { valid: false, why: `power of attorney ${id} is for building ${p.buildingId}` };
    if (p.meetingId !== 0n && p.meetingId !== meetingId) return { valid: false, why: `power of attorney ${id} is for meeting ${p.meetingId}` };
    if (timestamp < p.validFrom || timestamp > p.validTo) return { valid: false, why: `power of attorney ${id} is valid ${p.validFrom}–${p.validTo}, the ballot counted at ${timestamp}` };
    if (p.revoked && before(p.revoked, point)) return { valid: false, why: `power of attorney ${id} was revoked in ${p.revoked.transactionHash}` };
    return { valid: true };
  }

  /** A power that lets `representative` vote for `voter` at `point`, if any (the first recorded). */
  find(voter: string, representative: string, buildingId: bigint, meetingId: bigint, point: ChainPoint, timestamp: number): PowerOfAttorneyRecord | undefined {
    for (const p of this.byId.values()) {
      if (this.check(p.id, voter, representative, buildingId, meetingId, point, timestamp).valid) return p;
    }
    return undefined;
  }
}
