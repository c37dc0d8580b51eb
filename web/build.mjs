// Bundles the console for embedding: src/main.tsx -> OUT/app.js and OUT/app.css (esbuild,
// minified, one file each so the Content-Security-Policy can stay 'self'), and src/index.html.
// Run by CMake (src/console/CMakeLists.txt) with the packages package-lock.json pins; no network.
//   node build.mjs OUT
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) {
  console.error('usage: node build.mjs OUT_DIR');
  process.exit(2);
}
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.error('console build: esbuild is missing from web/node_modules; run ./dev setup (npm ci in web/)');
  process.exit(1);
}
mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: { app: join(here, 'src/main.tsx') },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(join(here, 'src/index.html'), join(out, 'index.html'));
