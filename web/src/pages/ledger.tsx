// Ledger: a partner's revenue-share statement for a period (GET
// /v1/ledger/statements/{period}/{partner}); a period settled for every partner (POST
// /v1/ledger/settle), which admins may close for good ({"close": true}: the period becomes
// immutable); and, for admins, a revenue file imported (POST /v1/ledger/revenue, text/csv) with
// the API's line-numbered refusals shown row by row. Nothing is imported unless every row is good.
import { useState } from 'preact/hooks';

import { api, ApiError, hasRole, Session } from '../api';
import { DataTable, loadedValue, Problem, Show, useAction, useLoad, valueOf } from '../components';
import { t } from '../i18n';

interface Money {
  currency: string;
  amount: string;
}
interface Statement {
  partner: string;
  name: string;
  status: string;
  owner: boolean;
  totals: Money[];
  pools: unknown[];
}
interface Settlement {
  period: string;
  status: 'open' | 'closed';
  statements: Record<string, Statement>;
}
interface ImportReport {
  added: number;
  unchanged: number;
  adjustments: number;
}

const lastMonth = () => {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - 1);
  return d.toISOString().slice(0, 7);
};

// "line 3: reason; line 7: reason" (the API's revenue refusal) as [where, reason] rows.
export function badRows(message: string): [string, string][] {
  const at = /(line \d+|events\[\d+\]): /g;
  const starts = [...message.matchAll(at)];
  return starts.map((m, i) => {
    const end = i + 1 < starts.length ? starts[i + 1].index! - 2 : message.length;  // before "; "
    return [m[1], message.slice(m.index! + m[0].length, end).replace(/ \(and \d+ more bad rows\)$/, '')];
  });
}

function PeriodInput({ value, set }: { value: string; set: (v: string) => void }) {
  return (
    <label>
      {t('ledger.period')} <input value={value} required pattern="\d{4}-\d{2}" size={8} onInput={(e) => set(valueOf(e))} name="period" />
    </label>
  );
}

function StatementLookup() {
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
    <section aria-labelledby="statement-title">
      <h3 id="statement-title">{t('ledger.statement')}</h3>
      <form class="search" onSubmit={submit}>
        <PeriodInput value={period} set={setPeriod} />
        <label>
          {t('ledger.partner')} <input value={partner} required onInput={(e) => setPartner(valueOf(e))} name="partner" />
        </label>
        <button type="submit">{t('ledger.show')}</button>
      </form>
      <Show loaded={statement}>
        {(s) => (s === null ? <p class="muted">{t('ledger.ask')}</p> : <pre data-testid="statement">{JSON.stringify(s, null, 2)}</pre>)}
      </Show>
    </section>
  );
}

function Settle({ admin }: { admin: boolean }) {
  const [period, setPeriod] = useState(lastMonth());
  const [understood, setUnderstood] = useState(false);
  const settle = useAction((close: boolean) => api<Settlement>('/v1/ledger/settle', 'POST', { period: period.trim(), close }));
  const s = settle.result;
  return (
    <section aria-labelledby="settle-title">
      <h3 id="settle-title">{t('ledger.settle')}</h3>
      <form class="search" onSubmit={settle.submit(false)}>
        <PeriodInput value={period} set={setPeriod} />
        <button type="submit" disabled={settle.busy}>
          {t('ledger.settle_submit')}
        </button>
        {admin && (
          <>
            <label class="inline">
              <input type="checkbox" checked={understood} onChange={(e) => setUnderstood((e.target as HTMLInputElement).checked)} name="understood" />{' '}
              {t('ledger.close_understood')}
            </label>
            <button type="button" class="danger" disabled={settle.busy || !understood} onClick={() => settle.run(true)}>
              {t('ledger.close')}
            </button>
          </>
        )}
      </form>
      {s && (
        <>
          <p role="status" data-testid="settlement-status">
            {t(s.status === 'closed' ? 'ledger.period_closed' : 'ledger.period_open', { period: s.period })}
          </p>
          <DataTable
            loaded={loadedValue(Object.values(s.statements))}
            rows={(list) => list}
            caption={t('ledger.statements', { period: s.period })}
            testId="settlement"
            empty={t('ledger.no_statements')}
            columns={[
              { header: t('ledger.partner'), cell: (st) => `${st.name} (${st.partner})${st.owner ? ` · ${t('ledger.owner')}` : ''}` },
              { header: t('ledger.pools'), cell: (st) => st.pools.length },
              { header: t('ledger.totals'), cell: (st) => st.totals.map((m) => `${m.amount} ${m.currency}`).join(', ') || '—' },
            ]}
          />
        </>
      )}
      <Problem error={settle.error} />
    </section>
  );
}

function RevenueImport() {
  const [file, setFile] = useState<File | null>(null);
  const upload = useAction(async () => api<ImportReport>('/v1/ledger/revenue', 'POST', await file!.text(), 'text/csv'));
  const message = upload.error instanceof ApiError && upload.error.status === 400 ? upload.error.message : '';
  const refused = badRows(message);
  const total = Number(/^(\d+) bad/.exec(message)?.[1] ?? refused.length);
  const r = upload.result;
  return (
    <section aria-labelledby="import-title">
      <h3 id="import-title">{t('ledger.import')}</h3>
      <p class="muted">{t('ledger.import_about')}</p>
      <form class="search" onSubmit={upload.submit()}>
        <label>
          {t('ledger.file')}{' '}
          <input type="file" accept=".csv,text/csv" required onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)} name="revenue-file" />
        </label>
        <button type="submit" disabled={upload.busy || !file}>
          {t('ledger.import_submit')}
        </button>
      </form>
      {r && (
        <p role="status" data-testid="imported">
          {t('ledger.imported', { added: r.added, unchanged: r.unchanged, adjustments: r.adjustments })}
        </p>
      )}
      {refused.length > 0 ? (
        <div role="alert">
          <p class="problem">{t('ledger.import_refused', { n: total })}</p>
          <DataTable
            loaded={loadedValue(refused)}
            rows={(list) => list}
            caption={t('ledger.bad_rows')}
            testId="bad-rows"
            empty=""
            columns={[
              { header: t('ledger.where'), cell: ([where]) => where },
              { header: t('ledger.problem'), cell: ([, reason]) => reason },
            ]}
          />
        </div>
      ) : (
        <Problem error={upload.error} />
      )}
    </section>
  );
}

export function LedgerPage({ session }: { session: Session }) {
  const admin = hasRole(session, 'admin');
  return (
    <section aria-labelledby="ledger-title">
      <h2 id="ledger-title">{t('nav.ledger')}</h2>
      <StatementLookup />
      <Settle admin={admin} />
      {admin && <RevenueImport />}
    </section>
  );
}
