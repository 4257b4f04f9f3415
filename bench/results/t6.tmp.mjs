import { SERVERS, startUpstream } from '../lib/targets.mjs';
const up = await startUpstream();
const r = await SERVERS.rotor.start(up);
const res = await fetch(r.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] }) });
console.log(res.status, (await res.text()).slice(0, 600));
console.log(r.proc.output.slice(-1500));
await r.proc.stop(); await up.proc.stop();
