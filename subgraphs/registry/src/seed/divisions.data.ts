/**
 * Dongguan's divisions as seeded on first start: the city, its 4 streets and 28 towns and the
 * functional zones with their official 9-digit codes, and a few villages or communities per town.
 */
export const CITY = { code: '441900', name: '东莞市' };

export const TOWNS: { code: string; name: string }[] = [
  { code: '441900003', name: '东城街道' },
  { code: '441900004', name: '南城街道' },
  { code: '441900005', name: '万江街道' },
  { code: '441900006', name: '莞城街道' },
  { code: '441900101', name: '石碣镇' },
  { code: '441900102', name: '石龙镇' },
  { code: '441900103', name: '茶山镇' },
  { code: '441900104', name: '石排镇' },
  { code: '441900105', name: '企石镇' },
  { code: '441900106', name: '横沥镇' },
  { code: '441900107', name: '桥头镇' },
  { code: '441900108', name: '谢岗镇' },
  { code: '441900109', name: '东坑镇' },
  { code: '441900110', name: '常平镇' },
  { code: '441900111', name: '寮步镇' },
  { code: '441900112', name: '樟木头镇' },
  { code: '441900113', name: '大朗镇' },
  { code: '441900114', name: '黄江镇' },
  { code: '441900115', name: '清溪镇' },
  { code: '441900116', name: '塘厦镇' },
  { code: '441900117', name: '凤岗镇' },
  { code: '441900118', name: '大岭山镇' },
  { code: '441900119', name: '长安镇' },
  { code: '441900121', name: '虎门镇' },
  { code: '441900122', name: '厚街镇' },
  { code: '441900123', name: '沙田镇' },
  { code: '441900124', name: '道滘镇' },
  { code: '441900125', name: '洪梅镇' },
  { code: '441900126', name: '麻涌镇' },
  { code: '441900127', name: '望牛墩镇' },
  { code: '441900128', name: '中堂镇' },
  { code: '441900129', name: '高埗镇' },
  { code: '441900401', name: '松山湖' },
  { code: '441900402', name: '东莞港' },
  { code: '441900403', name: '东莞生态园' },
  { code: '441900404', name: '滨海湾新区' },
];

const NAMED_VILLAGES: Record<string, string[]> = {
  '441900003': ['主山社区', '温塘社区', '牛山社区', '桑园社区'],
  '441900004': ['西平社区', '蛤地社区', '石鼓社区'],
  '441900121': ['白沙社区', '太平社区', '龙眼社区', '怀德社区'],
  '441900123': ['穗丰年村', '稔洲村', '杏洲村'],
  '441900110': ['袁山贝村', '朗洲村', '还珠沥村'],
  '441900119': ['厦岗社区', '涌头社区', '上沙社区'],
};

/** Villages: named ones for the towns above, three numbered communities elsewhere. */
export function villagesOf(town: { code: string; name: string }): { code: string; name: string }[] {
  const names = NAMED_VILLAGES[town.code] ?? [1, 2, 3].map((n) => `${town.name.replace(/(街道|镇)$/, '')}第${'一二三'[n - 1]}社区`);
  return names.map((name, i) => ({ code: town.code + String(i + 1).padStart(3, '0'), name }));
}
