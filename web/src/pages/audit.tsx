// Audit: the hash-linked chain, newest page first (GET /v1/audit), each entry with its links (the
// previous entry's hash and its own); filtered by action prefix, actor, subject or region (the
// server filters, oldest match first); and a verification of the whole chain on demand
// (GET /v1/audit/verify). Only users granted every region read it.
import { useState } from 'preact/hooks';

import { api } from '../api';
import { DataTable, loadedValue, Problem, Show, useLoad, valueOf } from '../components';
import { number, time } from '../format';
import { t } from '../i18n';

interface Entry {
  seq: number;
  time_ms: number;
  actor: string;
  action: string;
  subject: string;
  region: string;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}
interface AuditPage {
  entries: Entry[];
  next_seq: number;
  size: number;
  head_hash: string;
}
interface Filter {
  action: string;
  actor: string;
  subject: string;
  region: string;
}
const kNoFilter: Filter = { action: '', actor: '', subject: '', region: '' };

// The filter's query parameters ("" when it keeps everything).
function filterQuery(f: Filter): string {
  return (Object.keys(f) as (keyof Filter)[])
    .filter((k) => f[k].trim() !== '')
    .map((k) => `&${k}=${encodeURIComponent(f[k].trim())}`)
    .join('');
}

// A hash as people compare them: its first 12 digits, the whole one on hover.
function Hash({ of }: { of: string }) {
  return <code title={of}>{of.slice(0, 12)}…</code>;
}
interface Verification {
  intact: boolean;
  entries: number;
  head_hash: string;
  bad_seq: number | null;
  problem: string;
}

const kPage = 50;

export function AuditPage() {
  // Unfiltered, the first page read tells the chain's size and `from` walks back from its end;
  // filtered, `from` walks forward through the matches from the start.
  const [from, setFrom] = useState<number | null>(null);
  const [draft, setDraft] = useState<Filter>(kNoFilter);
  const [filter, setFilter] = useState<Filter>(kNoFilter);
  const query = filterQuery(filter);
  const page = useLoad(async () => {
    if (query !== '') {
      const start = from ?? 1;
      return { start, ...(await api<AuditPage>(`/v1/audit?from_seq=${start}&limit=${kPage}${query}`)) };
    }
    const size = from === null ? (await api<AuditPage>('/v1/audit?limit=1')).size : 0;
    const start = from ?? Math.max(1, size - kPage + 1);
    return { start, ...(await api<AuditPage>(`/v1/audit?from_seq=${start}&limit=${kPage}`)) };
  }, [from, query]);
  const apply = (f: Filter) => {
    setFilter(f);
    setFrom(null);
  };
  const field = (k: keyof Filter, label: string) => (
    <label>
      {label} <input value={draft[k]} name={`filter-${k}`} onInput={(e) => setDraft({ ...draft, [k]: valueOf(e) })} />
    </label>
  );
  const [verification, setVerification] = useState<Verification>();
  const [verifyError, setVerifyError] = useState<Error>();
  const verify = () => {
    setVerification(undefined);
    api<Verification>('/v1/audit/verify').then(setVerification, setVerifyError);
  };

  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">{t('nav.audit')}</h2>
      <p>
        <button type="button" onClick={verify}>
          {t('audit.verify')}
        </button>{' '}
        {verification && (
          <span role="status" data-testid="verification" class={verification.intact ? 'ok' : 'problem'}>
            {verification.intact
              ? t('audit.intact', { n: number(verification.entries) })
              : t('audit.broken', { seq: verification.bad_seq ?? '?', problem: verification.problem })}
          </span>
        )}
      </p>
      <Problem error={verifyError} />
      <form
        class="search"
        role="search"
        aria-label={t('audit.filter')}
        onSubmit={(e) => {
          e.preventDefault();
          apply(draft);
        }}
      >
        {field('action', t('audit.action_prefix'))}
        {field('actor', t('audit.actor'))}
        {field('subject', t('audit.subject'))}
        {field('region', t('fleet.region'))}
        <button type="submit">{t('audit.apply')}</button>
        <button
          type="button"
          disabled={query === ''}
          onClick={() => {
            setDraft(kNoFilter);
            apply(kNoFilter);
          }}
        >
          {t('audit.clear')}
        </button>
      </form>
      <Show loaded={page}>
        {(p) => (
          <>
            {query !== '' ? (
              <nav class="pager" aria-label={t('audit.pages')}>
                <button type="button" disabled={p.start <= 1} onClick={() => setFrom(null)}>
                  {t('audit.first')}
                </button>
                <span>{t('audit.matches', { n: p.entries.length, from: p.start, to: p.next_seq - 1, size: p.size })}</span>
                <button type="button" disabled={p.next_seq > p.size} onClick={() => setFrom(p.next_seq)}>
                  {t('audit.further')}
                </button>
              </nav>
            ) : (
            <nav class="pager" aria-label={t('audit.pages')}>
              <button type="button" disabled={p.start <= 1} onClick={() => setFrom(Math.max(1, p.start - kPage))}>
                {t('audit.older')}
              </button>
              <span>
                {t('audit.showing', { from: p.start, to: p.start + p.entries.length - 1, size: p.size })}
              </span>
              <button type="button" disabled={p.start + kPage > p.size} onClick={() => setFrom(p.start + kPage)}>
                {t('audit.newer')}
              </button>
            </nav>
            )}
            <DataTable
              loaded={loadedValue(query !== '' ? p.entries : [...p.entries].reverse())}
              rows={(entries) => entries}
              caption={t('nav.audit')}
              testId="audit"
              empty={t('audit.empty')}
              columns={[
                { header: '#', cell: (e) => e.seq },
                { header: t('audit.time'), cell: (e) => time(e.time_ms) },
                { header: t('audit.actor'), cell: (e) => e.actor },
                { header: t('audit.action'), cell: (e) => e.action },
                { header: t('audit.subject'), cell: (e) => e.subject },
                { header: t('fleet.region'), cell: (e) => e.region },
                { header: t('audit.details'), cell: (e) => <code>{JSON.stringify(e.details)}</code> },
                {
                  header: t('audit.links'),
                  cell: (e) => (
                    <span class="hash-links" data-testid="hash-links">
                      <Hash of={e.prev_hash} /> → <Hash of={e.hash} />
                    </span>
                  ),
                },
              ]}
            />
          </>
        )}
      </Show>
    </section>
  );
}
