import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { adminPageRoutes } from '../../../server/admin/pages.js';

describe('GET /admin (the console SPA)', () => {
  const dist = mkdtempSync(path.join(tmpdir(), 'gs-admin-'));
  mkdirSync(path.join(dist, 'assets'));
  writeFileSync(path.join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(path.join(dist, 'assets', 'app-abc123.js'), 'console.log(1)');
  writeFileSync(path.join(tmpdir(), 'secret.js'), 'nope');
  const app = adminPageRoutes({ distDir: dist });

  it.each(['/admin', '/admin/', '/admin/campaigns/year-end', '/admin/donations/00000000-0000-4000-8000-000000000000'])(
    'serves index.html at %s, never framed',
    async (p) => {
      const res = await app.request(p);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('id="root"');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('cache-control')).toBe('no-cache');
    },
  );

  it('serves built files with long caching and refuses to leave the build folder', async () => {
    const asset = await app.request('/admin/assets/app-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await app.request('/admin/assets/missing.js')).status).toBe(404);
    for (const p of ['/admin/../secret.js', '/admin/%2e%2e/secret.js', '/admin/assets/..%2f..%2fsecret.js']) {
      const res = await app.request(p);
      expect(await res.text()).not.toBe('nope');
    }
  });

  it('says how to build it when it has not been built', async () => {
    const res = await adminPageRoutes({ distDir: path.join(dist, 'nowhere') }).request('/admin');
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build');
  });
});
