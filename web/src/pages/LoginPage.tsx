import { useCallback, useState } from 'react';

import { useAuth } from '../auth';
import { ErrorAlert, TextField } from '../components/forms';
import { usePageTitle } from '../hooks/usePageTitle';
import { useSubmit } from '../hooks/useSubmit';
import { Link, navigate, useLocation } from '../router';

/** Only a path on this site (never `//evil.example`) may be the place to return to. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/dashboard';
}

export function LoginPage() {
  usePageTitle('Log in');
  const { logIn } = useAuth();
  const { search } = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const next = safeNext(search.get('next'));

  const { busy, error, onSubmit } = useSubmit(
    useCallback(async () => {
      await logIn(email, password);
      navigate(next, { replace: true });
    }, [email, password, logIn, next]),
  );

  return (
    <section className="narrow">
      <h1 tabIndex={-1}>Log in</h1>
      <form onSubmit={onSubmit} noValidate data-testid="login-form">
        <ErrorAlert error={error} fields={['email', 'password']} />
        <TextField label="Email" name="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} error={error} data-testid="login-email" />
        <TextField label="Password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} error={error} data-testid="login-password" />
        <button type="submit" className="button button--primary" disabled={busy} data-testid="login-submit">
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
      <p>
        New here? <Link to="/register">Create an account</Link>.
      </p>
    </section>
  );
}
