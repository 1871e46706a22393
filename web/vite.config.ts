/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv } from 'vite';

// The dev server forwards /api to the Django back end so the app and the API share an
// origin, as in production. VITE_PROXY_TARGET points it elsewhere; VITE_API_BASE (read
// by src/api/client.ts) makes the app call an API on another origin directly (CORS).
export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, process.cwd(), 'VITE_');
  const target = env.VITE_PROXY_TARGET || 'http://127.0.0.1:8000';
  return {
    base: '/',
    plugins: [react()],
    build: {
      outDir: 'dist',
      assetsDir: 'assets',
    },
    server: {
      host: '127.0.0.1',
      port: 5173,
      strictPort: true,
      proxy: {
        // changeOrigin: Django checks the Host header against ALLOWED_HOSTS.
        '/api': { target, changeOrigin: true },
      },
    },
    preview: { host: '127.0.0.1', port: 4173, strictPort: true },
    test: {
      environment: 'node',
      include: ['src/**/*.test.ts'],
      restoreMocks: true,
    },
  };
});
