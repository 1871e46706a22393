import { useCallback, useState } from 'react';

import { auth, me } from '../api/endpoints';
import { useAuth } from '../auth';
import { ConfirmButton } from '../components/ConfirmButton';
import { ErrorAlert, Loading, TextField } from '../components/forms';
import { formatDate } from '../format';
import { useLoad } from '../hooks/useLoad';
import { usePageTitle } from '../hooks/usePageTitle';
import { useSubmit } from '../hooks/useSubmit';
import { navigate } from '../router';
import { useStatus } from '../status';

export function SettingsPage() {
  usePageTitle('Settings');
  return (
    <section>
      <h1 tabIndex={-1}>Settings</h1>
      <ApiKeySettings />
      <PasswordSettings />
      <DeleteAccount />
    </section>
  );
}

/** The user's own model key: sent once, never shown again; only its last four characters. */
function ApiKeySettings() {
  const { announce } = useStatus();
  const status = useLoad(() => me.apiKey(), []);
  const [key, setKey] = useState('');

  const save = useSubmit(
    useCallback(async () => {
      const saved = await me.setApiKey(key);
      setKey(''); // never kept, never echoed
      status.setData(saved);
      announce(`Your model key ending ${saved.key_hint ?? ''} is saved.`);
    }, [key, status, announce]),
  );

  const remove = useSubmit(
    useCallback(async () => {
      await me.removeApiKey();
      status.setData({ configured: false, key_hint: null, validated_at: null });
      announce('Your model key is removed. The service’s key is used again.');
    }, [status, announce]),
  );

  return (
    <section className="panel" aria-labelledby="api-key-heading" data-testid="api-key-settings">
      <h2 id="api-key-heading">Your own model key</h2>
      <p>
        With your own OpenAI-compatible key, your questions and feedback run on it (and are billed to you). Without one, the
        service’s key is used.
      </p>
      {status.loading && !status.data && <Loading what="your key’s status" />}
      <ErrorAlert error={status.error} />
      {status.data && (
        <p data-testid="api-key-status">
          {status.data.configured ? (
            <>
              A key ending <strong>{status.data.key_hint}</strong> is in use
              {status.data.validated_at && <>, checked {formatDate(status.data.validated_at)}</>}.
            </>
          ) : (
            'No key of your own: the service’s key is used.'
          )}
        </p>
      )}
      <form onSubmit={save.onSubmit} noValidate>
        <ErrorAlert error={save.error} fields={['api_key']} />
        <TextField
          label={status.data?.configured ? 'Replace with a new key' : 'API key'}
          name="api_key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          maxLength={512}
          hint="It is checked with the provider once, stored encrypted, and never shown again."
          value={key}
          onChange={(e) => setKey(e.target.value)}
          error={save.error}
          data-testid="api-key-input"
        />
        <button type="submit" className="button button--primary" disabled={save.busy || !key.trim()} data-testid="save-api-key">
          {save.busy ? 'Checking the key…' : 'Save key'}
        </button>
      </form>
      {status.data?.configured && (
        <>
          <ErrorAlert error={remove.error} />
          <ConfirmButton
            label="Remove my key"
            question="Remove your key? The service’s key will be used."
            confirmLabel="Yes, remove it"
            onConfirm={() => void remove.run()}
            busy={remove.busy}
            testId="remove-api-key"
          />
        </>
      )}
    </section>
  );
}

function PasswordSettings() {
  const { user, logIn } = useAuth();
  const { announce } = useStatus();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');

  const change = useSubmit(
    useCallback(async () => {
      await auth.changePassword(current, next);
      setCurrent('');
      setNext('');
      // Every refresh token issued before is now revoked: log in again with the new password.
      if (user) {
        try {
          await logIn(user.email, next);
          announce('Your password is changed.');
          return;
        } catch {
          // fall through: the user logs in by hand
        }
      }
      await auth.logout().catch(() => {});
      announce('Your password is changed. Please log in with the new one.', { keep: true });
      navigate('/login');
    }, [current, next, user, logIn, announce]),
  );

  return (
    <section className="panel" aria-labelledby="password-heading">
      <h2 id="password-heading">Change your password</h2>
      <form onSubmit={change.onSubmit} noValidate data-testid="password-form">
        <ErrorAlert error={change.error} fields={['current_password', 'new_password']} />
        <TextField
          label="Current password"
          name="current_password"
          type="password"
          autoComplete="current-password"
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          error={change.error}
          data-testid="current-password"
        />
        <TextField
          label="New password"
          name="new_password"
          type="password"
          autoComplete="new-password"
          minLength={8}
          hint="At least 8 characters. Your other devices will be logged out."
          value={next}
          onChange={(e) => setNext(e.target.value)}
          error={change.error}
          data-testid="new-password"
        />
        <button type="submit" className="button button--primary" disabled={change.busy} data-testid="change-password">
          {change.busy ? 'Changing…' : 'Change password'}
        </button>
      </form>
    </section>
  );
}

function DeleteAccount() {
  const { announce } = useStatus();
  const [password, setPassword] = useState('');
  const removal = useSubmit(
    useCallback(async () => {
      await auth.deleteAccount(password);
      announce('Your account and all its data are deleted.', { keep: true });
      navigate('/register');
    }, [password, announce]),
  );

  return (
    <section className="panel danger-zone" aria-labelledby="delete-account-heading">
      <h2 id="delete-account-heading">Delete your account</h2>
      <p>This deletes your account, résumé, job postings, sessions and feedback. It cannot be undone.</p>
      <form onSubmit={(e) => e.preventDefault()} noValidate>
        <ErrorAlert error={removal.error} fields={['password']} />
        <TextField
          label="Your password, to confirm"
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={removal.error}
          data-testid="delete-account-password"
        />
        <ConfirmButton
          label="Delete my account"
          question="Delete your account and everything in it, for good?"
          confirmLabel="Yes, delete my account"
          onConfirm={() => void removal.run()}
          busy={removal.busy || !password}
          testId="delete-account"
        />
      </form>
    </section>
  );
}
