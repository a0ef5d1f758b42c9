import { loadGet } from './load.js';
import { seedCampaign, startApp, startBare } from './servers.js';
const app = await startApp('pglite');
await seedCampaign(app.ctx, 'bench-p', 3);
const url = `${app.url}/api/campaigns/bench-p`;
const first = await fetch(url);
const body = Buffer.from(await first.arrayBuffer());
const sent: Record<string, string> = {};
first.headers.forEach((v, k) => {
  if (!['date', 'connection', 'keep-alive', 'content-length'].includes(k)) sent[k] = v;
});
const bare = await startBare((req, res) => {
  res.writeHead(200, { ...sent, 'Content-Length': body.length });
  res.end(body);
});
const flat = Object.entries(sent).flat();
const bare2 = await startBare((req, res) => {
  res.writeHead(200, [...flat, 'Content-Length', String(body.length)]);
  res.end(body);
});
for (let i = 0; i < 3; i++) {
  for (const [n, u] of [
    ['app', url],
    ['bare', `${bare.url}/x`],
    ['bareArr', `${bare2.url}/x`],
  ] as const) {
    const r = await loadGet(u, 50, 3);
    console.log(n, Math.round(r.perSecond));
  }
}
await bare.stop();
await bare2.stop();
await app.stop();
