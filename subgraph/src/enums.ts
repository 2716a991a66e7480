/** Names of the contracts' enums as the schema spells them. */

export function premisesKindName(kind: i32): string {
  if (kind == 0) return "Residential";
  if (kind == 1) return "NonResidential";
  return "ParkingSpace";
}

export function organiserRoleName(role: i32): string {
  if (role == 1) return "ManagementOrganisation";
  if (role == 2) return "HomeownersAssociation";
  if (role == 3) return "CapitalRepairFund";
  return "None";
}

export function meetingKindName(kind: i32): string {
  return kind == 1 ? "Poll" : "Meeting";
}

export function thresholdName(threshold: i32): string {
  if (threshold == 0) return "MajorityOfParticipants";
  if (threshold == 1) return "MajorityOfAll";
  if (threshold == 2) return "TwoThirdsOfAll";
  if (threshold == 3) return "Unanimous";
  return "Consultative";
}

export function rejectReasonName(reason: i32): string {
  if (reason == 0) return "NotOpen";
  if (reason == 1) return "BadSignature";
  if (reason == 2) return "NotEligible";
  if (reason == 3) return "AlreadyVoted";
  return "MalformedChoices";
}

/** Answer codes packed in a ballot's choices: 1 For, 2 Against, 3 Abstain. */
export const CHOICE_FOR: i32 = 1;
export const CHOICE_AGAINST: i32 = 2;
export const CHOICE_ABSTAIN: i32 = 3;

export function choiceName(choice: i32): string {
  if (choice == CHOICE_FOR) return "For";
  if (choice == CHOICE_AGAINST) return "Against";
  return "Abstain";
}
