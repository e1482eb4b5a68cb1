/** Settlement's own error codes (of the public contract); the generic ones are in @citypoints/kit. */

/** A talent-card category's share of the year is used up (docs/domain/03-talent-card.md). */
export const QUOTA_EXCEEDED = 'QUOTA_EXCEEDED';
/** An applicant barred for false documents (docs/domain/01-school-admission.md, 02-household-registration.md). */
export const APPLICANT_BARRED = 'APPLICANT_BARRED';
/** An applicant who does not meet the scheme's conditions (docs/domain/01-school-admission.md). */
export const INELIGIBLE = 'INELIGIBLE';
