// The layout (skip link, navigation, live status region) and the route table.

import { useEffect, useRef } from 'react';
import type { ComponentType } from 'react';

import { AuthProvider, useAuth } from './auth';
import { DashboardPage } from './pages/DashboardPage';
import { LoginPage } from './pages/LoginPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { PostingFormPage } from './pages/PostingFormPage';
import { PostingsPage } from './pages/PostingsPage';
import { RegisterPage } from './pages/RegisterPage';
import { ResumePage } from './pages/ResumePage';
import { SessionPage } from './pages/SessionPage';
import { SessionsPage } from './pages/SessionsPage';
import { SettingsPage } from './pages/SettingsPage';
import { Link, matchPath, navigate, useLocation } from './router';
import { StatusProvider, StatusRegion } from './status';

type PageProps = { params: Record<string, string> };

interface Route {
  path: string;
  page: ComponentType<PageProps>;
  /** Reachable without logging in. */
  public?: boolean;
}

const ROUTES: Route[] = [
  { path: '/login', page: LoginPage, public: true },
  { path: '/register', page: RegisterPage, public: true },
  { path: '/dashboard', page: DashboardPage },
  { path: '/resume', page: ResumePage },
  { path: '/postings', page: PostingsPage },
  { path: '/postings/new', page: PostingFormPage },
  { path: '/postings/:id/edit', page: PostingFormPage },
  { path: '/sessions', page: SessionsPage },
  { path: '/sessions/:id', page: SessionPage },
  { path: '/settings', page: SettingsPage },
];

export function App() {
  return (
    <StatusProvider>
      <AuthProvider>
        <Layout />
      </AuthProvider>
    </StatusProvider>
  );
}

function Layout() {
  const { pathname, href } = useLocation();
  const { loggedIn, user, logOut } = useAuth();
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  // After a client-side navigation, move focus to the new page's heading, as a page load would.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    const heading = mainRef.current?.querySelector<HTMLElement>('h1');
    heading?.focus();
  }, [pathname]);

  let content;
  if (pathname === '/') {
    content = <Redirect to={loggedIn ? '/dashboard' : '/login'} />;
  } else {
    const route = ROUTES.map((r) => ({ route: r, params: matchPath(r.path, pathname) })).find((m) => m.params);
    if (!route) content = <NotFoundPage />;
    else if (!route.route.public && !loggedIn) content = <Redirect to={`/login?next=${encodeURIComponent(href)}`} />;
    else {
      const Page = route.route.page;
      // key: a new id is a new page (fresh state), e.g. after a retake.
      content = <Page key={pathname} params={route.params ?? {}} />;
    }
  }

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <Link to={loggedIn ? '/dashboard' : '/login'} className="brand">
          Interview practice
        </Link>
        <nav aria-label="Main">
          <ul>
            {loggedIn ? (
              <>
                <li>
                  <Link to="/dashboard">Dashboard</Link>
                </li>
                <li>
                  <Link to="/sessions">Sessions</Link>
                </li>
                <li>
                  <Link to="/postings">Job postings</Link>
                </li>
                <li>
                  <Link to="/resume">Résumé</Link>
                </li>
                <li>
                  <Link to="/settings">Settings</Link>
                </li>
                <li>
                  <button type="button" className="link-button" onClick={() => void logOut()} data-testid="logout">
                    Log out{user ? <span className="visually-hidden"> ({user.email})</span> : null}
                  </button>
                </li>
              </>
            ) : (
              <>
                <li>
                  <Link to="/login">Log in</Link>
                </li>
                <li>
                  <Link to="/register">Register</Link>
                </li>
              </>
            )}
          </ul>
        </nav>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1}>
        <StatusRegion />
        {content}
      </main>
    </>
  );
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}
