// End-to-end tests in a real browser (Debian's Chromium: Playwright's own browser download
// is not used). By default they run against the mock API (mock/server.mjs) behind
// `vite preview`; set E2E_BASE_URL to test a running deployment instead, for example the
// Django server serving the built app: E2E_BASE_URL=http://127.0.0.1:8000 npm run e2e
import { existsSync } from 'node:fs';

import { defineConfig } from '@playwright/test';

const external = process.env.E2E_BASE_URL;
const chromium =
  process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const MOCK_PORT = 8010;
const PREVIEW_PORT = 4173;

if (!external) process.env.E2E_MOCK = '1'; // tests that need the mock's switches run only then

export default defineConfig({
  testDir: './e2e',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    baseURL: external ?? `http://127.0.0.1:${PREVIEW_PORT}`,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: chromium,
      args: ['--no-sandbox'],
    },
  },
  webServer: external
    ? undefined
    : [
        {
          // Access tokens live 4 s, so the run exercises the refresh in the browser too.
          command: `node mock/server.mjs`,
          env: { MOCK_API_PORT: String(MOCK_PORT), MOCK_ACCESS_TTL: '4', MOCK_AI_DELAY_MS: '700' },
          url: `http://127.0.0.1:${MOCK_PORT}/api/v1/users/me`,
          reuseExistingServer: false,
          timeout: 20_000,
        },
        {
          command: `npx vite build && npx vite preview --port ${PREVIEW_PORT}`,
          // E2E_CROSS_ORIGIN=1: the app calls the API on its own origin (CORS) instead of
          // through the preview server's /api proxy.
          env: process.env.E2E_CROSS_ORIGIN
            ? { VITE_API_BASE: `http://127.0.0.1:${MOCK_PORT}/api/v1` }
            : { VITE_PROXY_TARGET: `http://127.0.0.1:${MOCK_PORT}` },
          url: `http://127.0.0.1:${PREVIEW_PORT}/`,
          reuseExistingServer: false,
          timeout: 120_000,
        },
      ],
});
