/** The sign-in form: a name and password (a session cookie follows), or single sign-on when the server has it. */
import { useState, type FormEvent } from 'react';
import { ApiError, session, type SessionInfo } from '../api';

export function SignIn({ singleSignOn, onSignedIn }: { singleSignOn: boolean; onSignedIn: (signedIn: SessionInfo) => void }) {
  const [failure, setFailure] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    session
      .signIn(String(form.get('name')), String(form.get('password')))
      .then(onSignedIn, (error: Error) => setFailure(error instanceof ApiError && error.status === 401 ? 'Nom ou mot de passe incorrect.' : error.message))
      .finally(() => setBusy(false));
  };
  return (
    <form className="card sign-in" onSubmit={submit} data-testid="sign-in">
      <h2>Connexion</h2>
      <label>
        Nom
        <input name="name" autoComplete="username" required data-testid="sign-in-name" />
      </label>
      <label>
        Mot de passe
        <input name="password" type="password" autoComplete="current-password" required data-testid="sign-in-password" />
      </label>
      {failure === undefined ? null : (
        <p className="banner" role="alert" data-testid="sign-in-error">
          {failure}
        </p>
      )}
      <div className="row">
        <button type="submit" disabled={busy} data-testid="sign-in-submit">
          Se connecter
        </button>
        {singleSignOn ? (
          <a className="button" href="/auth/oidc/login" data-testid="sign-in-sso">
            Connexion avec l’authentification unique (SSO)
          </a>
        ) : null}
      </div>
    </form>
  );
}
