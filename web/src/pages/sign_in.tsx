// Sign-in with a user token: the server answers with an HttpOnly session cookie the page never
// sees, and the CSRF token its writes must carry.
import { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

import { api, Session } from '../api';
import { t } from '../i18n';

export function SignIn({ switcher, onSignedIn }: { switcher: ComponentChildren; onSignedIn: (s: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      onSignedIn(await api<Session>('/console/session', 'POST', { token: token.trim() }));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <h1>{t('title')}</h1>
      {switcher}
      <form onSubmit={submit}>
        <label for="token">{t('sign_in.token')}</label>
        <input
          id="token"
          type="password"
          autocomplete="off"
          required
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
        />
        <p class="hint">{t('sign_in.hint')}</p>
        <button type="submit" disabled={busy}>
          {t('sign_in.submit')}
        </button>
        {error && (
          <p class="problem" role="alert">
            {t('sign_in.failed')}: {error}
          </p>
        )}
      </form>
    </main>
  );
}
