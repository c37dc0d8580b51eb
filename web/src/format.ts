// Numbers and times as the page shows them, in the chosen language's conventions.
import { language } from './i18n';

const locales = { en: 'en-GB', zh: 'zh-CN', de: 'de-DE' } as const;

export const number = (n: number, digits = 0) =>
  n.toLocaleString(locales[language.value], { maximumFractionDigits: digits, minimumFractionDigits: digits });

// Whole numbers without decimals, others with up to `digits` of them.
export const compact = (n: number, digits = 2) =>
  n.toLocaleString(locales[language.value], { maximumFractionDigits: digits });

export const time = (ms: number) => new Date(ms).toLocaleString(locales[language.value]);

export const clock = (ms: number) =>
  new Date(ms).toLocaleTimeString(locales[language.value], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
