// Who is signed in. The token lives in memory (api.ts) and in the HttpOnly cookie; after a reload the
// console asks GET /v1/me, but only when this tab signed in before (a hint in localStorage, not the
// token), so a visitor who never signed in does not cause a 401.
import { reactive } from 'vue';
import { get, post, type Role, setBearer } from './api';

export interface Session {
  account: string;
  role: Role;
  subject: string | null;
}

const hintKey = 'poolpoint.signedIn';
export const session = reactive<{ current: Session | null; restored: boolean }>({
  current: null,
  restored: false,
});

export async function signIn(login: string, password: string): Promise<Session> {
  const answer = await post<Session & { token: string }>('/v1/auth/login', { login, password });
  setBearer(answer.token);
  session.current = { account: answer.account, role: answer.role, subject: answer.subject };
  session.restored = true;
  localStorage.setItem(hintKey, '1');
  return session.current;
}

export async function restore(): Promise<Session | null> {
  if (session.restored) return session.current;
  session.restored = true;
  if (localStorage.getItem(hintKey) === null) return null;
  try {
    const me = await get<Session>('/v1/me');
    session.current = { account: me.account, role: me.role, subject: me.subject };
  } catch {
    forget();
  }
  return session.current;
}

/** The server no longer knows the session (expired): forget it here too. */
export function forget(): void {
  setBearer(null);
  session.current = null;
  localStorage.removeItem(hintKey);
}

export async function signOut(): Promise<void> {
  try {
    await post('/v1/auth/logout');
  } finally {
    forget();
  }
}

/** Each role's own page. */
export function homeOf(role: Role | undefined): string {
  switch (role) {
    case 'admin':
      return '/admin';
    case 'finance':
      return '/finance';
    case 'merchant':
      return '/merchant';
    case 'member':
      return '/member';
    default:
      return '/login';
  }
}
