// zh-CN by default; English by the switch, remembered in this browser. Dates use the browser's time zone.
import { createI18n } from 'vue-i18n';
import { en, zhCN } from './messages';

export type Locale = 'zh-CN' | 'en';
const storageKey = 'poolpoint.locale';

const saved = localStorage.getItem(storageKey);
const initial: Locale = saved === 'en' ? 'en' : 'zh-CN';
document.documentElement.lang = initial;

export const i18n = createI18n({
  legacy: false,
  locale: initial,
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
});

export function currentLocale(): Locale {
  return i18n.global.locale.value as Locale;
}

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  localStorage.setItem(storageKey, locale);
  document.documentElement.lang = locale;
}

/** A moment (epoch milliseconds or ISO text) in the browser's time zone and the chosen language. */
export function dateTime(moment: number | string | null | undefined): string {
  if (moment === null || moment === undefined) return '—';
  const date = new Date(moment);
  if (Number.isNaN(date.getTime())) return String(moment);
  return new Intl.DateTimeFormat(currentLocale(), { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}
