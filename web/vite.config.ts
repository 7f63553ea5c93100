// The web console: a Vite build of web/ into web/dist, which `poolpoint serve` serves (src/http/static.ts).
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [vue()],
  define: {
    // vue-i18n's feature flags: the Composition API only, no devtools in production.
    __VUE_I18N_FULL_INSTALL__: 'true',
    __VUE_I18N_LEGACY_API__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
    __INTLIFY_JIT_COMPILATION__: 'true',
    __INTLIFY_DROP_MESSAGE_COMPILER__: 'false',
  },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    // Element Plus and ECharts are large; they load only with the staff pages that use them.
    chunkSizeWarningLimit: 1200,
  },
  server: {
    // `npx vite --config web/vite.config.ts` during development: the API is `npm start` on :3000.
    proxy: { '/v1': 'http://127.0.0.1:3000', '/openapi.json': 'http://127.0.0.1:3000' },
  },
});
