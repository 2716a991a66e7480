/**
 * Names of the contracts' enums as the schema spells them. A value outside an enum cannot come from the
 * contracts; it fails the handler rather than being indexed under a wrong name.
 */

function unknown(what: string, value: i32): string {
  throw new Error("unknown " + what + " " + value.toString());
}

export function premisesKindName(kind: i32): string {
  if (kind == 0) return "Residential";
  if (kind == 1) return "NonResidential";
  if (kind == 2) return "ParkingSpace";
  return unknown("premises kind", kind);
}

export function organiserRoleName(role: i32): string {
  if (role == 0) return "None";
  if (role == 1) return "ManagementOrganisation";
  if (role == 2) return "HomeownersAssociation";
  if (role == 3) return "CapitalRepairFund";
  return unknown("organiser role", role);
}

export function meetingKindName(kind: i32): string {
  if (kind == 0) return "Meeting";
  if (kind == 1) return "Poll";
  return unknown("meeting kind", kind);
}

export function meetingTypeName(meetingType: i32): string {
  if (meetingType == 0) return "Extraordinary";
  if (meetingType == 1) return "Annual";
  return unknown("meeting type", meetingType);
}

export function ballotFormName(form: i32): string {
  if (form == 0) return "Direct";
  if (form == 1) return "Relayed";
  if (form == 2) return "Paper";
  return unknown("ballot form", form);
}

export function rejectReasonName(reason: i32): string {
  if (reason == 0) return "NotOpen";
  if (reason == 1) return "Expired";
  if (reason == 2) return "NotEligible";
  if (reason == 3) return "AlreadyVoted";
  if (reason == 4) return "MalformedChoices";
  if (reason == 5) return "NoPowerOfAttorney";
  return unknown("reject reason", reason);
}

export function ruleBaseName(base: i32): string {
  if (base == 0) return "Participants";
  if (base == 1) return "All";
  return unknown("rule base", base);
}

/** Kind of meeting whose questions a rules version decides (a poll's are consultative). */
export const KIND_MEETING: i32 = 0;
/** `BallotForm.Paper`: a paper decision entered by the administrator. */
export const FORM_PAPER: i32 = 2;

/** Answer codes packed in a ballot's choices: 1 For, 2 Against, 3 Abstain; 0 is no answer (paper only). */
export const CHOICE_FOR: i32 = 1;
export const CHOICE_AGAINST: i32 = 2;
export const CHOICE_ABSTAIN: i32 = 3;

export function choiceName(choice: i32): string {
  if (choice == CHOICE_FOR) return "For";
  if (choice == CHOICE_AGAINST) return "Against";
  if (choice == CHOICE_ABSTAIN) return "Abstain";
  return unknown("answer", choice);
}
