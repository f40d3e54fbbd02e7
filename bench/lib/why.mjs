// Why a target is missed, from profiles of this service (filled in from measurements; shown in
// RESULTS.md next to a missed row only).
export const WHY = {};
