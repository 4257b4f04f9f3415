import { readFileSync } from 'node:fs';
import { summariseProfile } from '../profile.mjs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const s = summariseProfile(p);
for (const c of s.categories.slice(0, 14)) console.log(String(c.selfPct).padStart(5), c.category);
for (const k of ['topFrames', 'rotorSelf', 'rotorInclusive']) { console.log('==', k); for (const f of s[k]) console.log(String(f.selfPct).padStart(5), String(f.inclusivePct).padStart(5), f.function, f.location); }
const nodes = new Map(p.nodes.map(n => [n.id, n])); const parent = new Map(); for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const hits = new Map(); for (const id of p.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
for (const target of process.argv.slice(3)) {
const stacks = new Map();
for (const [id, h] of hits) { const n = nodes.get(id); if (n.callFrame.functionName !== target) continue;
  const st = []; for (let c = parent.get(id); c !== undefined && st.length < 7; c = parent.get(c)) { const f = nodes.get(c).callFrame; st.push(`${f.functionName}@${f.url.split('/').slice(-2).join('/')}:${f.lineNumber+1}`); }
  const k = st.join(' < '); stacks.set(k, (stacks.get(k) ?? 0) + h); }
console.log('== callers of', target); for (const [k, v] of [...stacks].sort((a,b)=>b[1]-a[1]).slice(0,6)) console.log(v, k);
}
