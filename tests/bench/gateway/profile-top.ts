/**
 * The top self-time functions of a V8 CPU profile (`node --cpu-prof`), and the same time summed
 * per package, as percentages of the profile's samples. The gateway bench writes one with
 * `--cpu-prof DIR`; this prints what it shows.
 *
 * Run: node -r @swc-node/register tests/bench/gateway/profile-top.ts FILE.cpuprofile [--top 25]
 */
import fs from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

export function summarise(p: Profile, top = 25): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = url.replace(/^file:\/\//, '');
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
    const group = m ? m[1] : where.startsWith('node:') ? 'node (core)' : where ? (where.includes('/libs/') || where.includes('/gateway/') || where.includes('/subgraphs/') ? 'citypoints' : where) : functionName.startsWith('(') ? functionName : 'native';
    const short = where ? `${where.split('/node_modules/').pop()!.split('/').slice(-2).join('/')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${short}`.trim();
    fn.set(key, (fn.get(key) ?? 0) + us);
    pkg.set(group, (pkg.get(group) ?? 0) + us);
  }
  // the same time charged to the nearest caller that is a package or citypoints' own code (what
  // Node's core or V8 did on its behalf: sockets, crypto, promises, ...)
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const groupOf = (url: string) => {
    const where = url.replace(/^file:\/\//, '');
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
    if (m) return m[1];
    if (where.includes('/libs/') || where.includes('/gateway/') || where.includes('/subgraphs/') || where.includes('/tests/')) return 'citypoints';
    return null;
  };
  const charged = new Map<string, number>();
  for (const [id, us] of self) {
    let at: number | undefined = id;
    let group: string | null = null;
    while (at !== undefined && !group) {
      group = groupOf(byId.get(at)!.callFrame.url);
      at = parent.get(at);
    }
    const fnName = byId.get(id)!.callFrame.functionName;
    const key = group ?? (fnName.startsWith('(') ? fnName : 'node (core), no package caller');
    charged.set(key, (charged.get(key) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const lines = [`profile: ${(total / 1e6).toFixed(1)} s of samples`, 'top self time by function:'];
  for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)}  ${k}`);
  lines.push('self time by package:');
  for (const [k, us] of [...pkg].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`  ${pct(us)}  ${k}`);
  lines.push('self time charged to the nearest package caller:');
  for (const [k, us] of [...charged].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`  ${pct(us)}  ${k}`);
  return lines.join('\n');
}

if (require.main === module) {
  const file = process.argv[2];
  const i = process.argv.indexOf('--top');
  console.log(summarise(JSON.parse(fs.readFileSync(file, 'utf8')) as Profile, i >= 0 ? Number(process.argv[i + 1]) : 25));
}
