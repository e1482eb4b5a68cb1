/**
 * The authorisation table of the city (DOMAIN §9, docs/domain/09-access.md): every Query and
 * Mutation field of the composed supergraph, and every entity field carrying personal or
 * enterprise data, for every role and for anonymous callers, on the caller's own division (or,
 * for a resident, their own data; for a merchant, their own shop) and on another one.
 *
 * - `allowed`: answered (a refusal for another reason — NOT_FOUND, INVALID_STATE … — is fine);
 * - `masked`: answered with personal fields masked (`张*明`, `441900********123X`) or nothing;
 * - `denied`: FORBIDDEN (UNAUTHENTICATED for anonymous callers), no data.
 *
 * tests/e2e/authz-table.spec.ts calls every cell through the gateway; docs/authorization.md is
 * rendered from this file (`node -r @swc-node/register docs/authorization/render.ts`).
 */
import { Roles } from '@citypoints/auth';
/** The roles of the caller (libs/auth), each a column of the table. */
export const ROLES = Roles;
export const PRINCIPALS = [...ROLES, 'ANONYMOUS'] as const;
export type Principal = (typeof PRINCIPALS)[number];
export const SCOPES = ['own', 'other'] as const;
export type Scope = (typeof SCOPES)[number];
export type Access = 'allowed' | 'masked' | 'denied';
/** one access for both scopes, or own/other apart */
export type Cell = Access | { own: Access; other: Access };

export interface Row {
  kind: 'Query' | 'Mutation' | 'Field';
  /** `Query.resident`, `Mutation.redeem`, `Resident.civicCard` */
  name: string;
  /** why, in one line, from DOMAIN §9 and the domain section */
  basis: string;
  cells: Record<Principal, Cell>;
  /** for a field row: an answer of null (without an error) counts as denied */
  nullIsDenied?: boolean;
}

export const cellOf = (row: Row, p: Principal, s: Scope): Access => {
  const c = row.cells[p];
  return typeof c === 'string' ? c : c[s];
};

/** own allowed, other denied */
export const OWN: Cell = { own: 'allowed', other: 'denied' };
/** own allowed, other masked */
export const OWN_MASKED: Cell = { own: 'allowed', other: 'masked' };

type Partial_ = Partial<Record<Principal, Cell>>;
const all = (a: Access): Record<Principal, Cell> => Object.fromEntries(PRINCIPALS.map((p) => [p, a])) as Record<Principal, Cell>;
/** denied to everyone but the city admin and those given */
const only = (given: Partial_ = {}): Record<Principal, Cell> => ({ ...all('denied'), CITY_ADMIN: 'allowed', ...given });
/** answered to every signed-in caller, refused to anonymous ones, with the exceptions given */
const signedIn = (given: Partial_ = {}): Record<Principal, Cell> => ({ ...all('allowed'), ANONYMOUS: 'denied', ...given });
/** denied to everyone, the city admin too, but those given (acts that need the caller to be a particular resident) */
const nobody = (given: Partial_ = {}): Record<Principal, Cell> => ({ ...all('denied'), ...given });
/** public: answered to everyone */
const everyone = (given: Partial_ = {}): Record<Principal, Cell> => ({ ...all('allowed'), ...given });

const row = (kind: Row['kind'], name: string, basis: string, cells: Record<Principal, Cell>, extra: Partial<Row> = {}): Row => ({ kind, name, basis, cells, ...extra });
const Q = (name: string, basis: string, cells: Record<Principal, Cell>, extra?: Partial<Row>) => row('Query', `Query.${name}`, basis, cells, extra);
const M = (name: string, basis: string, cells: Record<Principal, Cell>, extra?: Partial<Row>) => row('Mutation', `Mutation.${name}`, basis, cells, extra);
const F = (name: string, basis: string, cells: Record<Principal, Cell>, extra?: Partial<Row>) => row('Field', name, basis, cells, { nullIsDenied: true, ...extra });

const CIVIC_STEPS = { VILLAGE_REGISTRAR: OWN, VILLAGE_REVIEWER: OWN, PUBLICITY_CLERK: OWN, TOWN_REVIEWER: OWN } as const;
const DIVISION_OFFICERS = { ...CIVIC_STEPS, EDUCATION_OFFICER: OWN, HUKOU_OFFICER: OWN } as const;
/** §9: the city admin, department analysts (audited) and the town official of the resident's town see the full record; the resident their own */
const RESIDENT_RECORD = { DEPARTMENT_ANALYST: 'allowed', TOWN_OFFICIAL: OWN, RESIDENT: OWN } as const;
/** §9: another resident, a merchant, a data feed or a regulator sees at most the masked name and the division */
const OUTSIDERS_MASKED = { REGULATOR: 'masked', DATA_FEED: 'masked', MERCHANT: 'masked', RESIDENT: OWN_MASKED } as const;

export const TABLE: Row[] = [
  // ---------------------------------------------------------------- registry (DOMAIN §9)
  Q('division', 'the division tree is reference data for every signed-in caller', signedIn()),
  Q('divisions', 'the division tree is reference data for every signed-in caller', signedIn()),
  Q('resident', '§9: full record for the city-wide callers, the town official and the resident; name and division for the officers of the division; the masked name for outsiders; an official outside their division is refused', only({ ...RESIDENT_RECORD, ...DIVISION_OFFICERS, ...OUTSIDERS_MASKED })),
  Q(
    'residentByIdNumber',
    '§9: answers only officials and department analysts, so an ID number cannot be confirmed by trying; an official gets nothing for a resident outside their division',
    only({ DEPARTMENT_ANALYST: 'allowed', TOWN_OFFICIAL: OWN_MASKED, VILLAGE_REGISTRAR: OWN_MASKED, VILLAGE_REVIEWER: OWN_MASKED, PUBLICITY_CLERK: OWN_MASKED, TOWN_REVIEWER: OWN_MASKED, EDUCATION_OFFICER: OWN_MASKED, HUKOU_OFFICER: OWN_MASKED }),
  ),
  Q('myData', 'PIPL right of access (docs/my-data.md): the calling resident\'s own data from every subgraph and every audited read of it; nobody else\'s, so nobody else may call it', nobody({ RESIDENT: 'allowed' })),
  Q('enterprise', 'an enterprise\'s name and division are public register data (its credit and labour risk are fields below)', signedIn()),
  Q('socialOrganisation', 'an organisation\'s register entry is public (its grading is a field below)', signedIn()),
  M('createDivision', 'the division tree is the city\'s', only()),
  M('registerResident', '§9: the town official manages their town; the village registrar registers in their village', only({ TOWN_OFFICIAL: OWN, VILLAGE_REGISTRAR: OWN })),
  M('updateResident', '§9: as registerResident', only({ TOWN_OFFICIAL: OWN, VILLAGE_REGISTRAR: OWN })),
  M('registerEnterprise', '§9: the town official manages their town; a data feed submits records and reports, it does not register enterprises', only({ TOWN_OFFICIAL: OWN })),
  M('registerSocialOrganisation', '§9: the town official manages their town', only({ TOWN_OFFICIAL: OWN })),
  M('addOrganisationMember', '§9: the town official manages their town', only({ TOWN_OFFICIAL: OWN })),
  F('Resident.name', '§9: the name for everyone who may see the resident; masked (张*明) for outsiders', only({ ...RESIDENT_RECORD, ...DIVISION_OFFICERS, ...OUTSIDERS_MASKED })),
  F('Resident.idNumberMasked', '§9: the ID number only ever masked, and not at all for outsiders', nobody({ CITY_ADMIN: 'masked', DEPARTMENT_ANALYST: 'masked', TOWN_OFFICIAL: { own: 'masked', other: 'denied' }, VILLAGE_REGISTRAR: { own: 'masked', other: 'denied' }, VILLAGE_REVIEWER: { own: 'masked', other: 'denied' }, PUBLICITY_CLERK: { own: 'masked', other: 'denied' }, TOWN_REVIEWER: { own: 'masked', other: 'denied' }, EDUCATION_OFFICER: { own: 'masked', other: 'denied' }, HUKOU_OFFICER: { own: 'masked', other: 'denied' }, RESIDENT: { own: 'masked', other: 'denied' } })),
  F('Resident.birthDate', '§9: what the officers\' steps need; never for outsiders', only({ ...RESIDENT_RECORD, ...DIVISION_OFFICERS })),
  F('Resident.hukou', '§9: what the officers\' steps need; never for outsiders', only({ ...RESIDENT_RECORD, ...DIVISION_OFFICERS })),
  F('Resident.householdId', '§9: part of the full record only (officers\' steps do not need it)', only({ ...RESIDENT_RECORD })),

  // ---------------------------------------------------------------- civic (DOMAIN §4)
  Q('civicCard', '§9, §4: the full record\'s card, and the civic officers of the division for their review', only({ ...RESIDENT_RECORD, ...CIVIC_STEPS })),
  Q('myCivicCard', 'the resident\'s own card (none for other callers)', only({ RESIDENT: 'allowed' })),
  Q('behaviourItems', '§4: the behaviour catalogue is public rules', signedIn()),
  Q('civicRecord', '§4: the civic officers and the town official of the division, and the resident; analysts read scores, not records', only({ TOWN_OFFICIAL: OWN, ...CIVIC_STEPS, RESIDENT: OWN })),
  Q('rewardItems', '§4: what the points supermarkets offer is public', signedIn()),
  Q('redemption', '§4, §8: a redemption and its saga status for the card\'s holder and the merchant who redeemed it; anyone else\'s is NOT_FOUND, as an unknown id', only({ MERCHANT: 'allowed', RESIDENT: 'allowed' })),
  Q('civilityStars', '§4: the division\'s honour list for its officials and residents; analysts audited', only({ DEPARTMENT_ANALYST: 'allowed', TOWN_OFFICIAL: OWN, ...CIVIC_STEPS, RESIDENT: OWN })),
  Q('civicBulletin', '§4: the division\'s quarterly bulletin for its officials and residents; analysts audited', only({ DEPARTMENT_ANALYST: 'allowed', TOWN_OFFICIAL: OWN, ...CIVIC_STEPS, RESIDENT: OWN })),
  Q('civicRules', '§4: the rules in force are public', signedIn()),
  Q('civicRuleHistory', '§4: the rules\' versions are public', signedIn()),
  M('enrolRedPassbook', '§4: the town official or the village registrar of the resident\'s division', only({ TOWN_OFFICIAL: OWN, VILLAGE_REGISTRAR: OWN })),
  M('defineBehaviourItem', '§4: the town official for their town', only({ TOWN_OFFICIAL: OWN })),
  M('setPublicityWindow', '§4: the town sets its publicity window', only({ TOWN_OFFICIAL: OWN })),
  M('registerCivicRecord', '§4: step 1, the village registrar of the resident\'s village', only({ VILLAGE_REGISTRAR: OWN })),
  M('reviewCivicRecord', '§4: step 2, the village reviewer', only({ VILLAGE_REVIEWER: OWN })),
  M('publiciseCivicRecord', '§4: step 3, the publicity clerk (and the city admin, who may do everything; no person performs two steps of one record)', only({ PUBLICITY_CLERK: OWN })),
  M('objectToCivicRecord', '§4: a resident of the record\'s village objects during publicity', nobody({ RESIDENT: OWN })),
  M('approveCivicRecord', '§4: step 4, the town re-reviewer (and the city admin, who may do everything; no person performs two steps of one record)', only({ TOWN_REVIEWER: OWN })),
  M('defineRewardItem', '§4, issue 10: a merchant stocks their own shop, a town official the shops of their town', only({ TOWN_OFFICIAL: OWN, MERCHANT: OWN })),
  M('redeem', '§4, §9: only with the holder\'s consent — the holder on their own card; a merchant (or anyone) without the holder\'s code is refused', nobody({ RESIDENT: OWN })),
  M('issueRedemptionCode', '§4: the holder issues the one-time code for their own card', only({ RESIDENT: 'allowed' })),
  M('registerMerchant', '§4: the town official registers the points supermarkets of their town', only({ TOWN_OFFICIAL: OWN })),
  M('publishCivicRules', '§4: rule sets are the city\'s', only()),
  M('creditRecyclables', '§4: the village registrar weighs recyclables in their village', only({ VILLAGE_REGISTRAR: OWN })),
  M('recordSortingInspection', '§4: the village reviewer or town official inspects sorting in their division', only({ TOWN_OFFICIAL: OWN, VILLAGE_REVIEWER: OWN })),

  // ---------------------------------------------------------------- enterprise-credit (DOMAIN §5, §6)
  Q('riskAlerts', '§9: the regulator\'s labour-risk alerts of their division; city-wide callers', only({ DEPARTMENT_ANALYST: 'allowed', REGULATOR: OWN })),
  Q('deadLetterDeliveries', 'webhook operations are the city admin\'s', only()),
  Q('creditCheck', '§5: departments ask before they act (analysts, feeds); the regulator and town official for their division', only({ DEPARTMENT_ANALYST: 'allowed', TOWN_OFFICIAL: OWN, REGULATOR: OWN, DATA_FEED: 'allowed' })),
  Q('creditListPublication', '§5: the red and black lists are published', signedIn()),
  Q('scoringRun', '§6: the regulator who starts scoring runs reads them', only({ REGULATOR: 'allowed' })),
  Q('labourRiskScheme', '§6: the scheme for those who score, report or read labour risk', only({ DEPARTMENT_ANALYST: 'allowed', TOWN_OFFICIAL: 'allowed', REGULATOR: 'allowed', DATA_FEED: 'allowed' })),
  Q('labourRiskSchemeHistory', '§6: as labourRiskScheme', only({ DEPARTMENT_ANALYST: 'allowed', TOWN_OFFICIAL: 'allowed', REGULATOR: 'allowed', DATA_FEED: 'allowed' })),
  M('acknowledgeRiskAlert', '§9: the regulator of the alert\'s division (the alert decides the division)', only({ REGULATOR: 'allowed' })),
  M('resolveRiskAlert', '§9: as acknowledgeRiskAlert', only({ REGULATOR: 'allowed' })),
  M('registerAlertWebhook', '§6: the regulator for their division', only({ REGULATOR: OWN })),
  M('escalateOverdueRiskAlerts', 'the escalation job\'s manual trigger is the city admin\'s', only()),
  M('recordCreditEvent', '§5: a feed records the kinds of its own department (penalties from any regulating department)', only({ DATA_FEED: 'allowed' })),
  M('repairCreditRecord', '§5: the recording department decides repair', only({ DATA_FEED: 'allowed' })),
  M('publishCreditLists', '§5: the city publishes the lists', only()),
  M('reportLabourIndicators', '§6: departments feed monthly reports', only({ DATA_FEED: 'allowed' })),
  M('runLabourRiskScoring', 'issue 10: a regulator scores their own division only', only({ REGULATOR: OWN })),
  M('publishLabourRiskScheme', '§6: schemes are the city\'s', only()),
  F('Enterprise.credit', '§9: enterprise credit for the regulator of the division, the town official, and departments city-wide', only({ DEPARTMENT_ANALYST: 'allowed', TOWN_OFFICIAL: OWN, REGULATOR: OWN, DATA_FEED: 'allowed' })),
  F('Enterprise.labourRisk', '§9: labour risk for the regulator and town official of the division, and city-wide callers', only({ DEPARTMENT_ANALYST: 'allowed', TOWN_OFFICIAL: OWN, REGULATOR: OWN }), { nullIsDenied: false }),
  F('Enterprise.employees', 'register data of an enterprise', signedIn()),

  // ---------------------------------------------------------------- settlement (DOMAIN §1–§3)
  Q('schoolApplication', '§9: the parent, city-wide callers, the town official and education officers of the town', only({ ...RESIDENT_RECORD, EDUCATION_OFFICER: OWN })),
  Q('mySchoolApplications', 'the resident\'s own applications', nobody({ RESIDENT: 'allowed' })),
  Q('admissionRun', '§1: runs and their rankings are published', signedIn()),
  Q('verifyAdmissionRun', '§1: anyone signed in may verify a published run', signedIn()),
  Q('admissionRunDocuments', '§1: a run\'s canonical documents are published with it', signedIn()),
  Q('schoolRanking', '§1: the published ranking', signedIn()),
  Q('householdApplication', '§9: the applicant, city-wide callers, the town official and hukou officers of the town', only({ ...RESIDENT_RECORD, HUKOU_OFFICER: OWN })),
  Q('overdueHouseholdStages', '§2: the town official and hukou officers of the town', only({ TOWN_OFFICIAL: OWN, HUKOU_OFFICER: OWN })),
  Q('pointsScheme', '§1, §2: schemes are public', signedIn()),
  Q('pointsSchemeHistory', '§1, §2: schemes are public', signedIn()),
  Q('schemeSimulation', '§1: those who may run simulations; one of another town or kind is refused (tests/e2e/simulation-what-if.spec.ts)', only({ EDUCATION_OFFICER: 'allowed', HUKOU_OFFICER: 'allowed', TOWN_OFFICIAL: 'allowed' })),
  Q('schools', '§1: schools and seats are public', signedIn()),
  Q('talentCardQuota', '§3: the hukou officers who issue cards; city-wide callers', only({ DEPARTMENT_ANALYST: 'allowed', HUKOU_OFFICER: 'allowed' })),
  Q('admissionLookup', '§1: the public result lookup by application number and the last six characters of the ID number', everyone()),
  M('requestRecheck', '§1: the parent of the application', nobody({ RESIDENT: OWN })),
  M('answerRecheck', '§9: education officers of the town', only({ EDUCATION_OFFICER: OWN })),
  M('submitSchoolApplication', '§1: the parent, or the town official / education officer of the town on their behalf', only({ TOWN_OFFICIAL: OWN, EDUCATION_OFFICER: OWN, RESIDENT: OWN })),
  M('verifyIndicators', '§9: education officers verify indicators', only({ EDUCATION_OFFICER: OWN })),
  M('disqualifySchoolApplication', '§9: education officers decide applications', only({ EDUCATION_OFFICER: OWN })),
  M('withdrawSchoolApplication', '§1: the parent, or the officials of the town', only({ TOWN_OFFICIAL: OWN, EDUCATION_OFFICER: OWN, RESIDENT: OWN })),
  M('publiciseAdmissionRun', '§9: education officers run admission (the run decides the town)', only({ EDUCATION_OFFICER: 'allowed' })),
  M('runSchoolAdmission', '§9: education officers run admission for their town', only({ EDUCATION_OFFICER: OWN })),
  M('submitHouseholdApplication', '§2: the applicant, or the town official / hukou officer of the town', only({ TOWN_OFFICIAL: OWN, HUKOU_OFFICER: OWN, RESIDENT: OWN })),
  M('verifyHouseholdIndicators', '§9: hukou officers verify indicators', only({ HUKOU_OFFICER: OWN })),
  M('rejectHouseholdApplication', '§9: hukou officers decide applications', only({ HUKOU_OFFICER: OWN })),
  M('withdrawHouseholdApplication', '§2: the applicant, or the officials of the town', only({ TOWN_OFFICIAL: OWN, HUKOU_OFFICER: OWN, RESIDENT: OWN })),
  M('completeHouseholdStage', '§2: hukou officers complete the procedure\'s stages', only({ HUKOU_OFFICER: OWN })),
  M('publishPointsScheme', 'schemes are the city\'s', only()),
  M('simulatePointsScheme', '§1: a what-if simulation of a draft scheme, by the officers of the kind (here school admission: education officers) and the town official of the town; city-wide only the city admin', only({ EDUCATION_OFFICER: OWN, TOWN_OFFICIAL: OWN })),
  M('upsertSchool', '§1: the town official or education officers of the town', only({ TOWN_OFFICIAL: OWN, EDUCATION_OFFICER: OWN })),
  M('setTalentCardQuota', '§3: the quota is the city\'s', only()),
  M('issueTalentCard', '§3: hukou officers of the holder\'s division', only({ HUKOU_OFFICER: OWN })),
  F('ResidentSettlement.schoolApplications', '§9: the resident, city-wide callers, the town official and education officers of the division', only({ ...RESIDENT_RECORD, EDUCATION_OFFICER: OWN })),
  F('ResidentSettlement.householdApplications', '§9: the resident, city-wide callers, the town official and hukou officers of the division', only({ ...RESIDENT_RECORD, HUKOU_OFFICER: OWN })),
  F('ResidentSettlement.talentCard', '§9: the holder, city-wide callers, the town official and hukou officers of the division', only({ ...RESIDENT_RECORD, HUKOU_OFFICER: OWN }), { nullIsDenied: false }),

  // ---------------------------------------------------------------- social-organisations (DOMAIN §7)
  Q('organisationRanking', '§7: gradings for the officials who manage organisations; city-wide callers', only({ DEPARTMENT_ANALYST: 'allowed', TOWN_OFFICIAL: 'allowed' })),
  Q('organisationGradingRun', '§7: grading runs are the city\'s', only()),
  Q('organisationGradings', '§7: as organisationRanking', only({ DEPARTMENT_ANALYST: 'allowed', TOWN_OFFICIAL: 'allowed' })),
  Q('organisationCreditCheck', '§7: departments check before they commission or fund', only({ DEPARTMENT_ANALYST: 'allowed', TOWN_OFFICIAL: 'allowed', REGULATOR: 'allowed', DATA_FEED: 'allowed' })),
  Q('organisationGradingScheme', '§7: schemes are public', signedIn()),
  Q('organisationGradingSchemes', '§7: schemes are public', signedIn()),
  M('runOrganisationGrading', '§7: grading runs are the city\'s', only()),
  M('startOrganisationGrading', '§7: grading runs are the city\'s', only()),
  M('recordOrganisationIndicator', '§7: the town official of the organisation\'s division (or the civil-affairs feed)', only({ TOWN_OFFICIAL: OWN })),
  M('recordOrganisationViolation', '§7: as recordOrganisationIndicator', only({ TOWN_OFFICIAL: OWN })),
  M('publishOrganisationGradingScheme', 'schemes are the city\'s', only()),
  F('SocialOrganisation.members', 'register data of an organisation', signedIn()),
  F('SocialOrganisation.grading', '§7: as organisationRanking', only({ DEPARTMENT_ANALYST: 'allowed', TOWN_OFFICIAL: 'allowed' }), { nullIsDenied: false }),

  // ---------------------------------------------------------------- volunteering (DOMAIN §8)
  Q('serviceNeeds', '§8: residents see the needs of their division (requesters elsewhere masked), the officials of the division all; city-wide callers', only({ DEPARTMENT_ANALYST: 'allowed', TOWN_OFFICIAL: OWN, VILLAGE_REGISTRAR: OWN, RESIDENT: OWN_MASKED })),
  Q('myServiceNeeds', 'the resident\'s own needs', nobody({ RESIDENT: 'allowed' })),
  Q('serviceNeed', '§8: as serviceNeeds', only({ DEPARTMENT_ANALYST: 'allowed', TOWN_OFFICIAL: OWN, VILLAGE_REGISTRAR: OWN, RESIDENT: OWN_MASKED })),
  Q('volunteerScheme', '§8: the scheme is public', signedIn()),
  Q('volunteerSchemes', '§8: the scheme is public', signedIn()),
  Q('myVolunteerProfile', 'the resident\'s own profile (none for other callers)', only({ RESIDENT: 'allowed' })),
  Q('volunteerHours', '§9: the resident, city-wide callers (audited) and the officials of the division', only({ ...RESIDENT_RECORD, VILLAGE_REGISTRAR: OWN })),
  M('postNeed', '§8: a resident posts a need in their own division', nobody({ RESIDENT: OWN })),
  M('takeNeed', '§8: a registered volunteer takes an open need', nobody({ RESIDENT: 'allowed' })),
  M('cancelNeed', '§8: the requester', nobody({ RESIDENT: OWN })),
  M('releaseNeed', '§8: the need\'s volunteer', nobody({ RESIDENT: OWN })),
  M('startService', '§8: the need\'s volunteer', nobody({ RESIDENT: OWN })),
  M('completeService', '§8: the need\'s volunteer', nobody({ RESIDENT: OWN })),
  M('confirmService', '§8: the requester', nobody({ RESIDENT: OWN })),
  M('publishVolunteerScheme', 'schemes are the city\'s', only()),
  M('registerVolunteer', '§8: the resident, or the officials of their division', only({ TOWN_OFFICIAL: OWN, VILLAGE_REGISTRAR: OWN, RESIDENT: OWN })),
  M('recordAdministratorHours', '§8: the town official of the resident\'s division', only({ TOWN_OFFICIAL: OWN })),
  M('givePoints', '§8: a resident gives points to a member of their own household', nobody({ RESIDENT: OWN })),
  M('donatePoints', '§8: a resident donates their own points', nobody({ RESIDENT: 'allowed' })),
  F('Resident.civicCard', '§9: as civicCard', only({ ...RESIDENT_RECORD, ...CIVIC_STEPS })),
  F('Resident.volunteer', '§9: the resident, city-wide callers (audited) and the officials of the division', only({ ...RESIDENT_RECORD, VILLAGE_REGISTRAR: OWN })),
];
