// The member's pages use Vant (mobile components); its styles and language follow the console's.
import 'vant/lib/index.css';
import { Locale } from 'vant';
import enUS from 'vant/es/locale/lang/en-US';
import zhCN from 'vant/es/locale/lang/zh-CN';
import { watch } from 'vue';
import { i18n } from './i18n';

watch(
  i18n.global.locale,
  (locale) => {
    if (locale === 'en') Locale.use('en-US', enUS);
    else Locale.use('zh-CN', zhCN);
  },
  { immediate: true },
);

/** An API failure's message, for a toast. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
