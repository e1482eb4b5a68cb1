/**
 * The default civic rules (docs/domain/04-civic-cards.md) as the first migration seeds them. Services never read
 * this file: they read the published rule rows, so a city can publish its own version.
 */
export const DEFAULT_CIVIC_RULES = {
  categories: {
    PUBLIC_ORDER: { passbook: 'CIVIC', min: 1, max: 100 },
    FAMILY_HARMONY: { passbook: 'CIVIC', min: 1, max: 100 },
    NEIGHBOURLINESS: { passbook: 'CIVIC', min: 1, max: 100 },
    PUBLIC_WELFARE: { passbook: 'CIVIC', min: 1, max: 100 },
    HEROIC_ACT: { passbook: 'CIVIC', min: 1, max: 500 },
    TRANSPORT_INCIVILITY: { passbook: 'CIVIC', min: -100, max: -1 },
    PUBLIC_PLACE_INCIVILITY: { passbook: 'CIVIC', min: -100, max: -1 },
    RED_BASIC_DUTY: { passbook: 'RED', min: -5, max: 5 },
    RED_BONUS: { passbook: 'RED', min: 1, max: 3 },
    RED_BAD_RECORD: { passbook: 'RED', min: -10, max: -2 },
  },
  publicityDays: { default: 5, min: 0, max: 15 },
  starsPerTown: 10,
  bulletinTopResidents: 3,
  privileges: [
    { flag: 'PRIORITY_EMPLOYMENT_SERVICES', minBalance: 100 },
    { flag: 'PRIORITY_EVALUATION', minBalance: 150 },
    { flag: 'PRIORITY_PARTY_ADMISSION', minBalance: 200 },
  ],
  green: {
    pricePerKg: { PAPER: 1.2, PLASTIC: 0.8, METAL: 2.5, GLASS: 0.3 },
    inspectionMax: 10,
  },
};

/** The default behaviour list every town starts with (each town then edits its own). */
export const DEFAULT_ITEMS: readonly Readonly<{ code: string; label: string; category: string; points: number; monthlyCap: number | null }>[] = Object.freeze([
  { code: 'QUEUE_ORDERLY', label: '文明排队、遵守公共秩序', category: 'PUBLIC_ORDER', points: 2, monthlyCap: 10 },
  { code: 'TRAFFIC_VOLUNTEER', label: '文明交通劝导', category: 'PUBLIC_ORDER', points: 5, monthlyCap: 20 },
  { code: 'FILIAL_PIETY', label: '孝老爱亲', category: 'FAMILY_HARMONY', points: 5, monthlyCap: 10 },
  { code: 'FAMILY_MEDIATION', label: '调解家庭纠纷', category: 'FAMILY_HARMONY', points: 3, monthlyCap: 9 },
  { code: 'HELP_NEIGHBOUR', label: '邻里互助', category: 'NEIGHBOURLINESS', points: 3, monthlyCap: 15 },
  { code: 'ELDERLY_CARE', label: '关爱孤寡老人', category: 'NEIGHBOURLINESS', points: 5, monthlyCap: 20 },
  { code: 'VOLUNTEER_SERVICE', label: '参加志愿服务', category: 'PUBLIC_WELFARE', points: 5, monthlyCap: 30 },
  { code: 'BLOOD_DONATION', label: '无偿献血', category: 'PUBLIC_WELFARE', points: 20, monthlyCap: null },
  { code: 'BRAVE_RESCUE', label: '见义勇为', category: 'HEROIC_ACT', points: 100, monthlyCap: null },
  { code: 'BUS_SEAT_HOGGING', label: '公交车上霸座', category: 'TRANSPORT_INCIVILITY', points: -5, monthlyCap: 20 },
  { code: 'TRANSIT_EATING', label: '车厢内进食、大声喧哗', category: 'TRANSPORT_INCIVILITY', points: -2, monthlyCap: 10 },
  { code: 'LITTERING', label: '乱扔垃圾', category: 'PUBLIC_PLACE_INCIVILITY', points: -3, monthlyCap: 15 },
  { code: 'SPITTING', label: '随地吐痰', category: 'PUBLIC_PLACE_INCIVILITY', points: -2, monthlyCap: 10 },
  { code: 'RED_MEETING_ATTENDED', label: '参加组织生活会', category: 'RED_BASIC_DUTY', points: 1, monthlyCap: null },
  { code: 'RED_DUES_ON_TIME', label: '按时交纳党费', category: 'RED_BASIC_DUTY', points: 1, monthlyCap: 1 },
  { code: 'RED_MEETING_MISSED', label: '无故缺席组织生活', category: 'RED_BASIC_DUTY', points: -2, monthlyCap: null },
  { code: 'RED_KEY_WORK', label: '参与村重点工作', category: 'RED_BONUS', points: 3, monthlyCap: null },
  { code: 'RED_ABSENT_3M', label: '连续三个月以上不参加组织生活', category: 'RED_BAD_RECORD', points: -10, monthlyCap: null },
  { code: 'RED_DUES_UNPAID_3M', label: '三个月以上未交纳党费', category: 'RED_BAD_RECORD', points: -10, monthlyCap: null },
  { code: 'RED_FRUGALITY_BREACH', label: '违反厉行节约规定', category: 'RED_BAD_RECORD', points: -5, monthlyCap: null },
  { code: 'RED_HARMFUL_SPEECH', label: '网上发表不良言论', category: 'RED_BAD_RECORD', points: -5, monthlyCap: null },
  { code: 'RED_GAMBLING_SUPERSTITION', label: '参与赌博或封建迷信', category: 'RED_BAD_RECORD', points: -8, monthlyCap: null },
  { code: 'RED_VILLAGE_CODE_BREACH', label: '违反村规民约', category: 'RED_BAD_RECORD', points: -3, monthlyCap: null },
  { code: 'RED_ILLEGAL_BUILDING', label: '违法建设或用地', category: 'RED_BAD_RECORD', points: -10, monthlyCap: null },
  { code: 'RED_EMERGENCY_REFUSAL', label: '拒不参加疫情防控等应急任务', category: 'RED_BAD_RECORD', points: -10, monthlyCap: null },
  { code: 'RED_SANCTION', label: '受到党纪政务处分或法律制裁', category: 'RED_BAD_RECORD', points: -10, monthlyCap: null },
]);

/** Towns, streets and functional zones of the city (their official 9-digit codes). */
export const TOWN_CODES: readonly string[] = Object.freeze([
  '441900003', '441900004', '441900005', '441900006', '441900101', '441900102', '441900103', '441900104', '441900105',
  '441900106', '441900107', '441900108', '441900109', '441900110', '441900111', '441900112', '441900113', '441900114',
  '441900115', '441900116', '441900117', '441900118', '441900119', '441900121', '441900122', '441900123', '441900124',
  '441900125', '441900126', '441900127', '441900128', '441900129', '441900401', '441900402', '441900403', '441900404',
]);
