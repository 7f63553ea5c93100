import { createApp } from 'vue';
import App from './App.vue';
import { whenUnauthenticated } from './api';
import { i18n } from './i18n';
import { router } from './router';
import { forget } from './session';
import './base.css';

// An expired or revoked session: forget it and sign in again, then come back here.
whenUnauthenticated(() => {
  forget();
  const here = router.currentRoute.value;
  if (here.path !== '/login') void router.push({ path: '/login', query: { next: here.fullPath } });
});

createApp(App).use(i18n).use(router).mount('#app');
