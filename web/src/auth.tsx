// Who is logged in. The tokens themselves live in api/client.ts; this only follows them and
// sends the user to the login page when they are gone.

import { createContext, useCallback, useContext, useEffect, useState, useSyncExternalStore } from 'react';
import type { ReactNode } from 'react';

import { api } from './api/client';
import { auth } from './api/endpoints';
import type { User } from './api/types';
import { navigate } from './router';
import { useStatus } from './status';

interface AuthContextValue {
  loggedIn: boolean;
  user: User | null;
  logIn: (email: string, password: string) => Promise<void>;
  logOut: () => Promise<void>;
}

const AuthContext = createContext<AuthContextValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const loggedIn = useSyncExternalStore(
    (listener) => api.tokens.subscribe(listener),
    () => api.tokens.isLoggedIn,
  );
  const [user, setUser] = useState<User | null>(null);
  const { announce } = useStatus();

  useEffect(() => {
    if (!loggedIn) {
      setUser(null);
      return;
    }
    let live = true;
    auth.me().then(
      (me) => live && setUser(me),
      () => {}, // the pages show their own errors; a dead session logs out through onLoggedOut
    );
    return () => {
      live = false;
    };
  }, [loggedIn]);

  useEffect(
    () =>
      api.onLoggedOut((reason) => {
        if (reason !== 'expired') return;
        announce('Your session has expired. Please log in again.', { keep: true });
        const here = window.location.pathname + window.location.search;
        navigate(`/login?next=${encodeURIComponent(here)}`, { replace: true });
      }),
    [announce],
  );

  const logIn = useCallback(async (email: string, password: string) => {
    await auth.login({ email, password });
    setUser(await auth.me());
  }, []);

  const logOut = useCallback(async () => {
    try {
      await auth.logout();
    } catch {
      // The server could not revoke the refresh token; it is forgotten here all the same.
    } finally {
      announce('You are logged out.', { keep: true });
      navigate('/login');
    }
  }, [announce]);

  return <AuthContext.Provider value={{ loggedIn, user, logIn, logOut }}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth outside AuthProvider');
  return value;
}
