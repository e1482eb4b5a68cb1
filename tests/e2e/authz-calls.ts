/**
 * How the authorisation-table test calls each row of docs/authorization/table.ts through the
 * gateway: the operation's document and its variables for a scope ('own' = the caller's town
 * (441900003) or the calling resident; 'other' = another town (441900121) or another resident).
 */
import { randomUUID } from 'node:crypto';
import { labourReport } from '@citypoints/testing';
import type { Scope } from '../../docs/authorization/table';

export interface Fixtures {
  residents: Record<Scope, string>;
  enterprises: Record<Scope, string>;
  organisations: Record<Scope, string>;
  merchants: Record<Scope, string>;
  schools: Record<Scope, string>;
  schoolApps: Record<Scope, string>;
  householdApps: Record<Scope, string>;
  records: Record<Scope, string>;
  needs: Record<Scope, string>;
  /** needs posted by someone else in the caller's village ('own') and in another town ('other'), for a volunteer to take */
  openNeeds: Record<Scope, string>;
  rewards: Record<Scope, string>;
  /** a need the calling resident volunteers for ('own') and one another volunteer took ('other') */
  takenNeeds: Record<Scope, string>;
  /** a member of the calling resident's household ('own') and a resident of another household ('other') */
  giftees: Record<Scope, string>;
  cards: Record<Scope, string>;
  idNumbers: Record<Scope, string>;
  towns: Record<Scope, string>;
  villages: Record<Scope, string>;
  childIdNumber: () => string;
  newIdNumber: () => string;
  newUscc: (prefix?: string) => string;
}

export interface Call {
  query: string;
  variables?: Record<string, unknown>;
}

const key = () => randomUUID();
const q = (query: string, variables?: Record<string, unknown>): Call => ({ query, variables });

/** One call per table row; `s` is the scope of the cell, `f` the fixtures the test created. */
export const CALLS: Record<string, (f: Fixtures, s: Scope) => Call> = {
  // ---- registry
  'Query.division': (f, s) => q(`query($c: ID!) { division(code: $c) { code name } }`, { c: f.towns[s] }),
  'Query.divisions': (f, s) => q(`query($c: ID) { divisions(parentCode: $c) { code } }`, { c: f.towns[s] }),
  'Query.resident': (f, s) => q(`query($id: ID!) { resident(id: $id) { id name division { code } } }`, { id: f.residents[s] }),
  'Query.residentByIdNumber': (f, s) => q(`query($n: String!) { residentByIdNumber(idNumber: $n) { id name idNumberMasked } }`, { n: f.idNumbers[s] }),
  'Query.myData': () => q(`{ myData }`),
  'Query.enterprise': (f, s) => q(`query($u: ID!) { enterprise(uscc: $u) { uscc name } }`, { u: f.enterprises[s] }),
  'Query.socialOrganisation': (f, s) => q(`query($u: ID!) { socialOrganisation(uscc: $u) { uscc name } }`, { u: f.organisations[s] }),
  'Mutation.createDivision': (f, s) => q(`mutation($i: CreateDivisionInput!) { createDivision(input: $i) { code } }`, { i: { code: `${f.towns[s]}9${String(Math.floor(Math.random() * 99)).padStart(2, '0')}`, name: '测试社区', level: 'VILLAGE', parentCode: f.towns[s] } }),
  'Mutation.registerResident': (f, s) => q(`mutation($i: RegisterResidentInput!) { registerResident(input: $i) { id } }`, { i: { idNumber: f.newIdNumber(), name: '李测试', hukou: 'MIGRANT', divisionCode: f.villages[s] } }),
  'Mutation.updateResident': (f, s) => q(`mutation($id: ID!, $i: UpdateResidentInput!) { updateResident(id: $id, input: $i) { id } }`, { id: f.residents[s], i: { hukou: 'MIGRANT' } }),
  'Mutation.registerEnterprise': (f, s) => q(`mutation($i: RegisterEnterpriseInput!) { registerEnterprise(input: $i) { uscc } }`, { i: { uscc: f.newUscc(), name: `东莞市表测试${Math.floor(Math.random() * 1e9)}有限公司`, divisionCode: f.towns[s] } }),
  'Mutation.registerSocialOrganisation': (f, s) => q(`mutation($i: RegisterSocialOrganisationInput!) { registerSocialOrganisation(input: $i) { uscc } }`, { i: { uscc: f.newUscc('51'), name: `东莞市表测试商会${Math.floor(Math.random() * 1e9)}`, kind: 'CHAMBER_OF_COMMERCE', divisionCode: f.towns[s] } }),
  'Mutation.addOrganisationMember': (f, s) => q(`mutation($o: ID!, $e: ID!) { addOrganisationMember(organisationUscc: $o, enterpriseUscc: $e) { uscc } }`, { o: f.organisations[s], e: f.enterprises[s] }),

  // ---- civic
  'Query.civicCard': (f, s) => q(`query($id: ID!) { civicCard(residentId: $id) { cardNo balance resident { name } } }`, { id: f.residents[s] }),
  'Query.myCivicCard': () => q(`{ myCivicCard { cardNo balance } }`),
  'Query.behaviourItems': (f, s) => q(`query($d: ID) { behaviourItems(divisionCode: $d) { code } }`, { d: f.villages[s] }),
  'Query.civicRecord': (f, s) => q(`query($id: ID!) { civicRecord(id: $id) { id status resident { name } } }`, { id: f.records[s] }),
  'Query.rewardItems': (f, s) => q(`query($m: ID) { rewardItems(merchantId: $m) { id name } }`, { m: f.merchants[s] }),
  'Query.civilityStars': (f, s) => q(`query($d: ID!) { civilityStars(divisionCode: $d, month: "2026-01") { month } }`, { d: f.towns[s] }),
  'Query.civicBulletin': (f, s) => q(`query($d: ID!) { civicBulletin(divisionCode: $d, quarter: "2026-Q1") { quarter } }`, { d: f.towns[s] }),
  'Query.civicRules': () => q(`{ civicRules { version } }`),
  'Query.civicRuleHistory': () => q(`{ civicRuleHistory { version } }`),
  'Mutation.enrolRedPassbook': (f, s) => q(`mutation($id: ID!) { enrolRedPassbook(residentId: $id) { cardNo } }`, { id: f.residents[s] }),
  'Mutation.defineBehaviourItem': (f, s) => q(`mutation($i: DefineBehaviourItemInput!) { defineBehaviourItem(input: $i) { code } }`, { i: { code: `T${Math.floor(Math.random() * 1e9)}`, label: '测试', category: 'VOLUNTEER', points: 1, divisionCode: f.towns[s] } }),
  'Mutation.setPublicityWindow': (f, s) => q(`mutation($d: ID!) { setPublicityWindow(divisionCode: $d, days: 7) }`, { d: f.towns[s] }),
  'Mutation.registerCivicRecord': (f, s) => q(`mutation($i: RegisterCivicRecordInput!) { registerCivicRecord(input: $i) { id } }`, { i: { residentId: f.residents[s], itemCode: 'BRAVE_RESCUE', occurredOn: '2026-01-05', idempotencyKey: key() } }),
  'Mutation.reviewCivicRecord': (f, s) => q(`mutation($id: ID!) { reviewCivicRecord(id: $id, approve: true) { id } }`, { id: f.records[s] }),
  'Mutation.publiciseCivicRecord': (f, s) => q(`mutation($id: ID!) { publiciseCivicRecord(id: $id) { id } }`, { id: f.records[s] }),
  'Mutation.objectToCivicRecord': (f, s) => q(`mutation($id: ID!) { objectToCivicRecord(id: $id, reason: "不实") { id } }`, { id: f.records[s] }),
  'Mutation.approveCivicRecord': (f, s) => q(`mutation($id: ID!) { approveCivicRecord(id: $id, approve: true) { id } }`, { id: f.records[s] }),
  'Mutation.defineRewardItem': (f, s) => q(`mutation($m: ID!) { defineRewardItem(merchantId: $m, name: "毛巾", pointsCost: 10, stock: 5) { id } }`, { m: f.merchants[s] }),
  'Query.redemption': () => q(`query($id: ID!) { redemption(id: $id) { id status } }`, { id: randomUUID() }),
  'Mutation.redeem': (f, s) => q(`mutation($i: RedeemInput!) { redeem(input: $i) { id balanceAfter } }`, { i: { cardNo: f.cards[s], lines: [{ rewardId: f.rewards[s], quantity: 1 }], idempotencyKey: key() } }),
  'Mutation.issueRedemptionCode': () => q(`mutation { issueRedemptionCode { code } }`),
  'Mutation.registerMerchant': (f, s) => q(`mutation($t: ID!, $m: ID!) { registerMerchant(merchantId: $m, townCode: $t, name: "测试超市") { id } }`, { t: f.towns[s], m: `m-${key()}` }),
  'Mutation.publishCivicRules': () => q(`mutation { publishCivicRules(effectiveFrom: "2099-01-01", definition: {}) { version } }`),
  'Mutation.creditRecyclables': (f, s) => q(`mutation($id: ID!, $k: String!) { creditRecyclables(residentId: $id, material: "PAPER", grams: 1000, idempotencyKey: $k) { kind balance } }`, { id: f.residents[s], k: key() }),
  'Mutation.recordSortingInspection': (f, s) => q(`mutation($id: ID!) { recordSortingInspection(residentId: $id, month: "2026-01", score: 90) { kind balance } }`, { id: f.residents[s] }),

  // ---- enterprise-credit
  'Query.riskAlerts': (f, s) => q(`query($d: ID) { riskAlerts(divisionCode: $d, first: 5) { nodes { id } } }`, { d: f.towns[s] }),
  'Query.deadLetterDeliveries': () => q(`{ deadLetterDeliveries(first: 5) { nodes { id } } }`),
  'Query.creditCheck': (f, s) => q(`query($u: ID!) { creditCheck(uscc: $u, domain: GOVERNMENT_PROCUREMENT) { allowed status } }`, { u: f.enterprises[s] }),
  'Query.creditListPublication': () => q(`{ creditListPublication(period: "2026-01") { period } }`),
  'Query.scoringRun': () => q(`query($id: ID!) { scoringRun(id: $id) { id } }`, { id: randomUUID() }),
  'Query.labourRiskScheme': () => q(`{ labourRiskScheme(period: "2026-01") { version } }`),
  'Query.labourRiskSchemeHistory': () => q(`{ labourRiskSchemeHistory { version } }`),
  'Mutation.acknowledgeRiskAlert': () => q(`mutation($id: ID!) { acknowledgeRiskAlert(id: $id) { id } }`, { id: randomUUID() }),
  'Mutation.resolveRiskAlert': () => q(`mutation($id: ID!) { resolveRiskAlert(id: $id, outcome: "paid") { id } }`, { id: randomUUID() }),
  'Mutation.registerAlertWebhook': (f, s) => q(`mutation($d: ID!) { registerAlertWebhook(divisionCode: $d, url: "https://alerts.example.org/hook", secret: "s3cret-0123456789abcdef") { id } }`, { d: f.towns[s] }),
  'Mutation.escalateOverdueRiskAlerts': () => q(`mutation { escalateOverdueRiskAlerts }`),
  'Mutation.recordCreditEvent': (f, s) => q(`mutation($i: CreditRecordInput!) { recordCreditEvent(input: $i) { id } }`, { i: { uscc: f.enterprises[s], kind: 'PENALTY', occurredOn: '2026-01-05', idempotencyKey: key() } }),
  'Mutation.repairCreditRecord': () => q(`mutation($id: ID!) { repairCreditRecord(recordId: $id, approve: true) { id } }`, { id: randomUUID() }),
  'Mutation.publishCreditLists': () => q(`mutation { publishCreditLists(period: "2026-01") { period } }`),
  'Mutation.reportLabourIndicators': (f, s) => q(`mutation($r: [LabourIndicatorsInput!]!) { reportLabourIndicators(reports: $r) }`, { r: [labourReport(f.enterprises[s], '2026-01', { source: 'authz-table' })] }),
  'Mutation.runLabourRiskScoring': (f, s) => q(`mutation($d: ID) { runLabourRiskScoring(divisionCode: $d, period: "2026-01") { id } }`, { d: f.towns[s] }),
  'Mutation.publishLabourRiskScheme': () => q(`mutation($i: LabourRiskSchemeInput!) { publishLabourRiskScheme(input: $i) { version } }`, { i: { code: 'authz', effectiveFrom: '2099-01', bands: [], levels: [], overrides: [] } }),

  // ---- settlement
  'Query.schoolApplication': (f, s) => q(`query($n: ID!) { schoolApplication(applicationNo: $n) { applicationNo childName parent { name } } }`, { n: f.schoolApps[s] }),
  'Query.mySchoolApplications': () => q(`{ mySchoolApplications { applicationNo } }`),
  'Query.admissionRun': () => q(`query($id: ID!) { admissionRun(id: $id) { id } }`, { id: randomUUID() }),
  'Query.verifyAdmissionRun': () => q(`query($id: ID!) { verifyAdmissionRun(id: $id) { identical } }`, { id: randomUUID() }),
  'Query.admissionRunDocuments': () => q(`query($id: ID!) { admissionRunDocuments(id: $id) { inputDigest } }`, { id: randomUUID() }),
  'Query.schoolRanking': (f, s) => q(`query($t: ID!) { schoolRanking(townCode: $t, year: 2026, grade: PRIMARY_1, first: 5) { nodes { rank } } }`, { t: f.towns[s] }),
  'Query.householdApplication': (f, s) => q(`query($n: ID!) { householdApplication(applicationNo: $n) { applicationNo applicant { name } } }`, { n: f.householdApps[s] }),
  'Query.overdueHouseholdStages': (f, s) => q(`query($t: ID!) { overdueHouseholdStages(townCode: $t) { applicationNo } }`, { t: f.towns[s] }),
  'Query.pointsScheme': () => q(`{ pointsScheme(kind: SCHOOL_ADMISSION, year: 2026) { code } }`),
  'Query.pointsSchemeHistory': () => q(`{ pointsSchemeHistory(kind: SCHOOL_ADMISSION) { code } }`),
  'Query.schemeSimulation': () => q(`query($id: ID!) { schemeSimulation(id: $id) { id } }`, { id: randomUUID() }),
  'Query.schools': (f, s) => q(`query($t: ID!) { schools(townCode: $t) { id } }`, { t: f.towns[s] }),
  'Query.talentCardQuota': () => q(`{ talentCardQuota(year: 2026) { total } }`),
  'Query.admissionLookup': (f, s) => q(`query($n: ID!, $l: String!) { admissionLookup(applicationNo: $n, idNumberLast6: $l) { applicationNo } }`, { n: f.schoolApps[s], l: f.idNumbers[s].slice(-6) }),
  'Mutation.requestRecheck': (f, s) => q(`mutation($n: ID!) { requestRecheck(applicationNo: $n, code: "SOCIAL_INSURANCE", reason: "漏计") { applicationNo } }`, { n: f.schoolApps[s] }),
  'Mutation.answerRecheck': (f, s) => q(`mutation($n: ID!) { answerRecheck(applicationNo: $n, verdict: { code: "SOCIAL_INSURANCE", status: VERIFIED }) { applicationNo } }`, { n: f.schoolApps[s] }),
  'Mutation.submitSchoolApplication': (f, s) =>
    q(`mutation($i: SubmitSchoolApplicationInput!) { submitSchoolApplication(input: $i) { applicationNo } }`, {
      i: { parentId: f.residents[s], childName: '李小测', childIdNumber: f.childIdNumber(), year: 2026, grade: 'PRIMARY_1', townCode: f.towns[s], preferences: [f.schools[s]], indicators: [], idempotencyKey: key() },
    }),
  'Mutation.verifyIndicators': (f, s) => q(`mutation($n: ID!) { verifyIndicators(applicationNo: $n, verdicts: []) { applicationNo } }`, { n: f.schoolApps[s] }),
  'Mutation.disqualifySchoolApplication': (f, s) => q(`mutation($n: ID!) { disqualifySchoolApplication(applicationNo: $n, reason: "测试") { applicationNo } }`, { n: f.schoolApps[s] }),
  'Mutation.withdrawSchoolApplication': (f, s) => q(`mutation($n: ID!) { withdrawSchoolApplication(applicationNo: $n) { applicationNo } }`, { n: f.schoolApps[s] }),
  'Mutation.publiciseAdmissionRun': () => q(`mutation($id: ID!) { publiciseAdmissionRun(id: $id) { id } }`, { id: randomUUID() }),
  'Mutation.runSchoolAdmission': (f, s) => q(`mutation($t: ID!) { runSchoolAdmission(townCode: $t, year: 2031, grade: PRIMARY_1) { id } }`, { t: f.towns[s] }),
  'Mutation.submitHouseholdApplication': (f, s) =>
    q(`mutation($i: SubmitHouseholdApplicationInput!) { submitHouseholdApplication(input: $i) { applicationNo } }`, { i: { applicantId: f.residents[s], townCode: f.towns[s], indicators: [], idempotencyKey: key() } }),
  'Mutation.verifyHouseholdIndicators': (f, s) => q(`mutation($n: ID!) { verifyHouseholdIndicators(applicationNo: $n, verdicts: []) { applicationNo } }`, { n: f.householdApps[s] }),
  'Mutation.rejectHouseholdApplication': (f, s) => q(`mutation($n: ID!) { rejectHouseholdApplication(applicationNo: $n, reason: "测试") { applicationNo } }`, { n: f.householdApps[s] }),
  'Mutation.withdrawHouseholdApplication': (f, s) => q(`mutation($n: ID!) { withdrawHouseholdApplication(applicationNo: $n) { applicationNo } }`, { n: f.householdApps[s] }),
  'Mutation.completeHouseholdStage': (f, s) => q(`mutation($n: ID!) { completeHouseholdStage(applicationNo: $n, stage: "NO_SUCH_STAGE") { applicationNo } }`, { n: f.householdApps[s] }),
  'Mutation.publishPointsScheme': () => q(`mutation { publishPointsScheme(kind: SCHOOL_ADMISSION, code: "authz", year: 2099, definition: {}) { code } }`),
  'Mutation.simulatePointsScheme': (f, s) => q(`mutation($t: ID) { simulatePointsScheme(kind: SCHOOL_ADMISSION, year: 2026, definition: {}, townCode: $t) { id } }`, { t: f.towns[s] }),
  'Mutation.upsertSchool': (f, s) => q(`mutation($i: UpsertSchoolInput!) { upsertSchool(input: $i) { id } }`, { i: { name: `测试小学${Math.floor(Math.random() * 1e6)}`, townCode: f.towns[s], seats: [] } }),
  'Mutation.setTalentCardQuota': () => q(`mutation { setTalentCardQuota(year: 2031, total: 10) }`),
  'Mutation.issueTalentCard': (f, s) => q(`mutation($r: ID!) { issueTalentCard(residentId: $r, category: ACADEMIC_SKILL, year: 2032) { cardNo } }`, { r: f.residents[s] }),

  // ---- social-organisations
  'Query.organisationRanking': () => q(`{ organisationRanking(year: 2025) { uscc } }`),
  'Query.organisationGradingRun': () => q(`query($id: ID!) { organisationGradingRun(id: $id) { id } }`, { id: randomUUID() }),
  'Query.organisationGradings': () => q(`{ organisationGradings(year: 2025, first: 5) { nodes { grade } } }`),
  'Query.organisationCreditCheck': (f, s) => q(`query($u: ID!) { organisationCreditCheck(uscc: $u, purpose: GOVERNMENT_FUNDING) { allowed } }`, { u: f.organisations[s] }),
  'Query.organisationGradingScheme': () => q(`{ organisationGradingScheme(year: 2025) { code } }`),
  'Query.organisationGradingSchemes': () => q(`{ organisationGradingSchemes(code: "default") { code } }`),
  'Mutation.runOrganisationGrading': () => q(`mutation { runOrganisationGrading(year: 2019) }`),
  'Mutation.startOrganisationGrading': () => q(`mutation { startOrganisationGrading(year: 2019) { id } }`),
  'Mutation.recordOrganisationIndicator': (f, s) => q(`mutation($i: OrganisationIndicatorInput!) { recordOrganisationIndicator(input: $i) { grade } }`, { i: { uscc: f.organisations[s], year: 2025, category: 'BASIC_WORK', points: 1, idempotencyKey: key() } }),
  'Mutation.recordOrganisationViolation': (f, s) => q(`mutation($i: OrganisationViolationInput!) { recordOrganisationViolation(input: $i) { grade } }`, { i: { uscc: f.organisations[s], year: 2025, severity: 10, idempotencyKey: key() } }),
  'Mutation.publishOrganisationGradingScheme': () => q(`mutation { publishOrganisationGradingScheme(code: "authz", effectiveFromYear: 2099, definition: {}) { code } }`),

  // ---- volunteering
  'Query.serviceNeeds': (f, s) => q(`query($d: ID) { serviceNeeds(divisionCode: $d, first: 5) { nodes { id requester { name } } } }`, { d: f.villages[s] }),
  'Query.myServiceNeeds': () => q(`{ myServiceNeeds(first: 5) { nodes { id } } }`),
  'Query.serviceNeed': (f, s) => q(`query($id: ID!) { serviceNeed(id: $id) { id requester { name } } }`, { id: f.needs[s] }),
  'Query.volunteerScheme': () => q(`{ volunteerScheme { version } }`),
  'Query.volunteerSchemes': () => q(`{ volunteerSchemes { version } }`),
  'Query.myVolunteerProfile': () => q(`{ myVolunteerProfile { hours } }`),
  'Query.volunteerHours': (f, s) => q(`query($id: ID!) { volunteerHours(residentId: $id, first: 5) { creditedHours } }`, { id: f.residents[s] }),
  'Mutation.postNeed': (f, s) => q(`mutation($i: PostNeedInput!) { postNeed(input: $i) { id } }`, { i: { category: 'MUTUAL_AID', title: '代购', divisionCode: f.villages[s], windowStart: '2026-03-12T01:00:00Z', windowEnd: '2026-03-12T03:00:00Z', idempotencyKey: key() } }),
  'Mutation.takeNeed': (f, s) => q(`mutation($id: ID!) { takeNeed(needId: $id, role: PRIMARY) { id } }`, { id: f.openNeeds[s] }),
  'Mutation.cancelNeed': (f, s) => q(`mutation($id: ID!) { cancelNeed(needId: $id) { id } }`, { id: `${f.needs[s]}` }),
  'Mutation.releaseNeed': (f, s) => q(`mutation($id: ID!) { releaseNeed(needId: $id) { id } }`, { id: f.takenNeeds[s] }),
  'Mutation.startService': (f, s) => q(`mutation($id: ID!) { startService(needId: $id) { id } }`, { id: f.takenNeeds[s] }),
  'Mutation.completeService': (f, s) => q(`mutation($id: ID!) { completeService(needId: $id, hours: 1) { id } }`, { id: f.takenNeeds[s] }),
  'Mutation.confirmService': (f, s) => q(`mutation($id: ID!) { confirmService(needId: $id, rating: 5) { id } }`, { id: f.needs[s] }),
  'Mutation.publishVolunteerScheme': () => q(`mutation { publishVolunteerScheme(effectiveFrom: "2099-01-01T00:00:00Z", rules: { pointsPerHour: -1, maxCreditedHoursPerService: 0, starThresholds: [], pointValidityMonths: 0, autoConfirmHours: 0, backupGraceMinutes: 0 }) { version } }`),
  'Mutation.registerVolunteer': (f, s) => q(`mutation($id: ID!) { registerVolunteer(residentId: $id) { registered } }`, { id: f.residents[s] }),
  'Mutation.recordAdministratorHours': (f, s) => q(`mutation($id: ID!, $k: String!) { recordAdministratorHours(residentId: $id, hours: 1, idempotencyKey: $k) { hours } }`, { id: f.residents[s], k: key() }),
  'Mutation.givePoints': (f, s) => q(`mutation($id: ID!, $k: String!) { givePoints(toResidentId: $id, points: 1, idempotencyKey: $k) { points } }`, { id: f.giftees[s], k: key() }),
  'Mutation.donatePoints': () => q(`mutation($k: String!) { donatePoints(points: 1, idempotencyKey: $k) { points } }`, { k: key() }),
};

/** Entity fields carrying personal or enterprise data, read through the entity's usual entry point. */
export const FIELD_CALLS: Record<string, (f: Fixtures, s: Scope) => Call> = {
  'Resident.name': (f, s) => q(`query($id: ID!) { resident(id: $id) { name } }`, { id: f.residents[s] }),
  'Resident.idNumberMasked': (f, s) => q(`query($id: ID!) { resident(id: $id) { idNumberMasked } }`, { id: f.residents[s] }),
  'Resident.birthDate': (f, s) => q(`query($id: ID!) { resident(id: $id) { birthDate } }`, { id: f.residents[s] }),
  'Resident.hukou': (f, s) => q(`query($id: ID!) { resident(id: $id) { hukou } }`, { id: f.residents[s] }),
  'Resident.householdId': (f, s) => q(`query($id: ID!) { resident(id: $id) { householdId } }`, { id: f.residents[s] }),
  'Resident.civicCard': (f, s) => q(`query($id: ID!) { resident(id: $id) { civicCard { balance } } }`, { id: f.residents[s] }),
  'ResidentSettlement.schoolApplications': (f, s) => q(`query($id: ID!) { resident(id: $id) { settlement { schoolApplications { applicationNo } } } }`, { id: f.residents[s] }),
  'ResidentSettlement.householdApplications': (f, s) => q(`query($id: ID!) { resident(id: $id) { settlement { householdApplications { applicationNo } } } }`, { id: f.residents[s] }),
  'ResidentSettlement.talentCard': (f, s) => q(`query($id: ID!) { resident(id: $id) { settlement { talentCard { cardNo } } } }`, { id: f.residents[s] }),
  'Resident.volunteer': (f, s) => q(`query($id: ID!) { resident(id: $id) { volunteer { hours points } } }`, { id: f.residents[s] }),
  'Enterprise.credit': (f, s) => q(`query($u: ID!) { enterprise(uscc: $u) { credit { status } } }`, { u: f.enterprises[s] }),
  'Enterprise.labourRisk': (f, s) => q(`query($u: ID!) { enterprise(uscc: $u) { labourRisk { level } } }`, { u: f.enterprises[s] }),
  'Enterprise.employees': (f, s) => q(`query($u: ID!) { enterprise(uscc: $u) { employees } }`, { u: f.enterprises[s] }),
  'SocialOrganisation.members': (f, s) => q(`query($u: ID!) { socialOrganisation(uscc: $u) { members { uscc } } }`, { u: f.organisations[s] }),
  'SocialOrganisation.grading': (f, s) => q(`query($u: ID!) { socialOrganisation(uscc: $u) { grading { grade } } }`, { u: f.organisations[s] }),
};
