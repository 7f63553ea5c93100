// Pages and who may open them. A signed-in user who opens another role's page is sent to their own.
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import type { Role } from './api';
import { homeOf, restore } from './session';

declare module 'vue-router' {
  interface RouteMeta {
    /** Who may open the page; absent: anyone. */
    roles?: readonly Role[];
  }
}

const staff: readonly Role[] = ['admin', 'finance'];

const routes: RouteRecordRaw[] = [
  { path: '/login', component: () => import('./views/LoginPage.vue') },
  { path: '/join', component: () => import('./views/JoinPage.vue') },
  {
    path: '/pay/:merchant',
    component: () => import('./views/PayPage.vue'),
    meta: { roles: ['member'] },
  },
  {
    path: '/member',
    component: () => import('./views/MemberHome.vue'),
    meta: { roles: ['member'] },
  },
  {
    path: '/member/price',
    component: () => import('./views/PriceExplainer.vue'),
    meta: { roles: ['member'] },
  },
  {
    path: '/',
    component: () => import('./views/StaffLayout.vue'),
    children: [
      // The root sends each signed-in user to their own page, and anyone else to sign in.
      {
        path: '',
        component: { render: () => null },
        beforeEnter: async () => homeOf((await restore())?.role),
      },
      { path: 'admin', component: () => import('./views/DashboardPage.vue'), meta: { roles: ['admin'] } },
      { path: 'admin/members', component: () => import('./views/MembersPage.vue'), meta: { roles: staff } },
      {
        path: 'admin/merchants',
        component: () => import('./views/MerchantsPage.vue'),
        meta: { roles: staff },
      },
      {
        path: 'admin/merchants/:merchant',
        component: () => import('./views/MerchantPage.vue'),
        meta: { roles: ['admin'] },
      },
      { path: 'admin/audit', component: () => import('./views/AuditPage.vue'), meta: { roles: ['admin'] } },
      { path: 'admin/agents', component: () => import('./views/AgentsPage.vue'), meta: { roles: staff } },
      { path: 'admin/orders', component: () => import('./views/OrdersPage.vue'), meta: { roles: staff } },
      {
        path: 'admin/applications',
        component: () => import('./views/ApplicationsPage.vue'),
        meta: { roles: ['admin'] },
      },
      { path: 'admin/config', component: () => import('./views/ConfigPage.vue'), meta: { roles: ['admin'] } },
      {
        path: 'admin/programs',
        component: () => import('./views/ProgramsPage.vue'),
        meta: { roles: ['admin'] },
      },
      {
        path: 'admin/webhooks',
        component: () => import('./views/WebhooksPage.vue'),
        meta: { roles: ['admin'] },
      },
      { path: 'finance', component: () => import('./views/WithdrawalsPage.vue'), meta: { roles: staff } },
      { path: 'finance/reports', component: () => import('./views/ReportsPage.vue'), meta: { roles: staff } },
      {
        path: 'merchant',
        component: () => import('./views/MerchantPage.vue'),
        meta: { roles: ['merchant'] },
      },
    ],
  },
  { path: '/:rest(.*)*', redirect: '/' },
];

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach(async (to) => {
  const roles = to.meta.roles;
  if (roles === undefined) return true;
  const current = await restore();
  if (current === null) return { path: '/login', query: { next: to.fullPath } };
  if (!roles.includes(current.role)) return { path: homeOf(current.role), replace: true };
  return true;
});
