// The real browser for UI tests: Debian's Chromium driven by playwright-core.
export { launchChromium, pageRecordingErrors } from './chromium.ts';
