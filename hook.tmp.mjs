import { registerHooks } from 'node:module';
registerHooks({ load(url, ctx, next) { const r = next(url, ctx); if (!url.startsWith('node:')) process.stderr.write('LOAD ' + url + '\n'); return r; } });
