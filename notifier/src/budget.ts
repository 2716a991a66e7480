/**
 * The notice budget. Any owner may announce meetings, and each announcement sends e-mail and paid
 * SMS to the whole building, so the notifier sends them for at most `limit` meetings (and polls) of
 * one initiator in one building within `periodSeconds` of chain time. The notices of a meeting past
 * the budget are held: queued, logged and not sent, until the registrar releases them. The legal
 * notice in the resident's in-app feed is delivered whatever the budget.
 */
import type { Meetings } from "./meetings.js";

export class NoticeBudget {
  constructor(
    private readonly meetings: Meetings,
    /** Meetings whose notices go out by e-mail and SMS per initiator, building and period (0: no budget). */
    readonly limit: number,
    readonly periodSeconds: number,
  ) {}

  /** Whether a meeting's notices go by e-mail and SMS ("open") or are held, decided once when it is announced. */
  decide(m: { meetingId: bigint; buildingId: bigint; initiator: string; announcedAt: number }): "open" | "held" {
    if (this.limit === 0) return "open";
    const used = this.meetings.openNoticesOf(m.buildingId, m.initiator, m.announcedAt - this.periodSeconds, m.announcedAt, m.meetingId);
    return used >= this.limit ? "held" : "open";
  }
}
