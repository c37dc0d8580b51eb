// The console's shell: the session, the language, hash routes (#/overview, #/fleet/VIN, ...) and
// a navigation that offers only the pages the user's roles can read. The API still decides
// every answer; hiding a page only spares the user a refusal.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';

import { api, allRegions, hasRole, Session, bindSession } from './api';
import { Lang, language, languages, setLanguage, t } from './i18n';
import { AuditPage } from './pages/audit';
import { FleetPage } from './pages/fleet';
import { LearningPage } from './pages/learning';
import { LedgerPage } from './pages/ledger';
import { OverviewPage } from './pages/overview';
import { SignIn } from './pages/sign_in';
import { TransfersPage } from './pages/transfers';
import './style.css';

interface Page {
  path: string;
  label: () => string;
  visible: (s: Session) => boolean;
}

const pages: Page[] = [
  { path: 'overview', label: () => t('nav.overview'), visible: () => true },
  { path: 'fleet', label: () => t('nav.fleet'), visible: (s) => hasRole(s, 'operator', 'admin', 'auditor') },
  { path: 'transfers', label: () => t('nav.transfers'), visible: () => true },
  { path: 'audit', label: () => t('nav.audit'), visible: (s) => hasRole(s, 'auditor', 'admin') && allRegions(s) },
  { path: 'ledger', label: () => t('nav.ledger'), visible: (s) => hasRole(s, 'auditor', 'admin') },
  { path: 'learning', label: () => t('nav.learning'), visible: (s) => hasRole(s, 'operator', 'dpo', 'auditor', 'admin') },
];

function route(): string[] {
  return location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
}

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [path, setPath] = useState(route());
  const [, setLang] = useState<Lang>(language.value);

  const signedOut = () => setSession(null);
  const load = () =>
    api<Session>('/console/session').then((s) => setSession(s.signed_in ? s : null), () => setSession(null));

  useEffect(() => {
    load();
    const onHash = () => setPath(route());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    document.documentElement.lang = language.value === 'zh' ? 'zh-CN' : language.value;
    document.title = t('title');
  });

  const chooseLanguage = (lang: Lang) => {
    setLanguage(lang);
    setLang(lang);
  };
  const switcher = (
    <label class="language">
      {t('language')}{' '}
      <select value={language.value} onChange={(e) => chooseLanguage((e.target as HTMLSelectElement).value as Lang)}>
        {languages.map(([code, name]) => (
          <option value={code}>{name}</option>
        ))}
      </select>
    </label>
  );

  if (session === undefined) return <main class="loading">{t('loading')}</main>;
  if (session === null) {
    return <SignIn switcher={switcher} onSignedIn={(s) => setSession(s)} />;
  }
  bindSession(session.csrf_token, signedOut);
  const visible = pages.filter((p) => p.visible(session));
  const current = visible.find((p) => p.path === path[0]) ?? visible[0];
  const signOut = () => api('/console/session', 'DELETE').then(signedOut, signedOut);

  return (
    <div class="shell">
      <header>
        <h1>{t('title')}</h1>
        <nav aria-label={t('nav.label')}>
          <ul>
            {visible.map((p) => (
              <li>
                <a href={`#/${p.path}`} aria-current={p === current ? 'page' : undefined}>
                  {p.label()}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span data-testid="user">
            {session.user} · {session.roles.join(', ')} · {t('regions')}: {session.regions.join(', ')}
          </span>
          {switcher}
          <button type="button" onClick={signOut}>
            {t('sign_out')}
          </button>
        </div>
      </header>
      <main>
        {current.path === 'overview' && <OverviewPage />}
        {current.path === 'fleet' && <FleetPage session={session} vin={path[0] === 'fleet' ? path[1] : undefined} />}
        {current.path === 'transfers' && <TransfersPage session={session} />}
        {current.path === 'audit' && <AuditPage />}
        {current.path === 'ledger' && <LedgerPage session={session} />}
        {current.path === 'learning' && <LearningPage />}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
