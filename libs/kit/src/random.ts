/** A small seeded PRNG (mulberry32): demo data and benchmarks are reproducible from their seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(rnd: () => number, list: readonly T[]): T => list[Math.floor(rnd() * list.length)];
export const intBetween = (rnd: () => number, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文辉海燕俊峰婷宇浩然子轩欣怡梓涵一诺思远嘉怡晓东振华德明丽萍春梅永健国强小龙家豪佳琪雨桐';
const PLACES = ['粤海', '华南', '东江', '虎门', '松湖', '南方', '长盛', '恒通', '宏达', '兴业', '金城', '鸿图', '东莞', '旗峰', '莞邑', '珠江'];
const TRADES = ['电子', '五金', '塑胶', '模具', '服装', '家具', '物流', '食品', '印刷', '机械', '光电', '新材料', '纺织', '玩具'];
const SUFFIX = ['有限公司', '实业有限公司', '科技有限公司', '制品有限公司'];

export function randomName(rnd: () => number): string {
  const surname = pick(rnd, Array.from(SURNAMES));
  const given = Array.from(GIVEN);
  const len = rnd() < 0.7 ? 2 : 1;
  let name = surname;
  for (let i = 0; i < len; i++) name += pick(rnd, given);
  return name;
}

export function randomCompanyName(rnd: () => number): { name: string; industry: string } {
  const industry = pick(rnd, TRADES);
  return { name: `东莞市${pick(rnd, PLACES)}${industry}${pick(rnd, SUFFIX)}`, industry };
}
