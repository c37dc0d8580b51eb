// Ledger: a partner's revenue-share statement for a period (GET
// /v1/ledger/statements/{period}/{partner}), as the ledger settled it.
import { useState } from 'preact/hooks';

import { api } from '../api';
import { Show, useLoad } from '../components';
import { t } from '../i18n';

export function LedgerPage() {
  const [period, setPeriod] = useState(new Date().toISOString().slice(0, 7));
  const [partner, setPartner] = useState('');
  const [asked, setAsked] = useState<[string, string] | null>(null);
  const statement = useLoad(
    () =>
      asked
        ? api<Record<string, unknown>>(`/v1/ledger/statements/${encodeURIComponent(asked[0])}/${encodeURIComponent(asked[1])}`)
        : Promise.resolve(null),
    [asked],
  );
  const submit = (e: Event) => {
    e.preventDefault();
    setAsked([period.trim(), partner.trim()]);
  };
  return (
    <section aria-labelledby="ledger-title">
      <h2 id="ledger-title">{t('nav.ledger')}</h2>
      <form class="search" onSubmit={submit}>
        <label>
          {t('ledger.period')}{' '}
          <input value={period} required pattern="\d{4}-\d{2}" onInput={(e) => setPeriod((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          {t('ledger.partner')}{' '}
          <input value={partner} required onInput={(e) => setPartner((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">{t('ledger.show')}</button>
      </form>
      <Show loaded={statement}>
        {(s) => (s === null ? <p class="muted">{t('ledger.ask')}</p> : <pre data-testid="statement">{JSON.stringify(s, null, 2)}</pre>)}
      </Show>
    </section>
  );
}
