import { useCallback, useState } from 'react';

import { auth } from '../api/endpoints';
import { useAuth } from '../auth';
import { ErrorAlert, TextField } from '../components/forms';
import { usePageTitle } from '../hooks/usePageTitle';
import { useSubmit } from '../hooks/useSubmit';
import { Link, navigate } from '../router';
import { useStatus } from '../status';

export function RegisterPage() {
  usePageTitle('Create an account');
  const { logIn } = useAuth();
  const { announce } = useStatus();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  const { busy, error, onSubmit } = useSubmit(
    useCallback(async () => {
      await auth.register({ email, password });
      await logIn(email, password);
      announce('Your account is ready. Start by adding your résumé.', { keep: true });
      navigate('/resume');
    }, [email, password, logIn, announce]),
  );

  return (
    <section className="narrow">
      <h1 tabIndex={-1}>Create an account</h1>
      <form onSubmit={onSubmit} noValidate data-testid="register-form">
        <ErrorAlert error={error} fields={['email', 'password']} />
        <TextField label="Email" name="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} error={error} data-testid="register-email" />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          hint="At least 8 characters."
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={error}
          data-testid="register-password"
        />
        <button type="submit" className="button button--primary" disabled={busy} data-testid="register-submit">
          {busy ? 'Creating your account…' : 'Create account'}
        </button>
      </form>
      <p>
        Already registered? <Link to="/login">Log in</Link>.
      </p>
    </section>
  );
}
