// Audit: the hash-linked chain, newest page first (GET /v1/audit), and a verification of the
// whole chain on demand (GET /v1/audit/verify). Only users granted every region read it.
import { useState } from 'preact/hooks';

import { api } from '../api';
import { DataTable, loadedValue, Problem, Show, useLoad } from '../components';
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
  hash: string;
}
interface AuditPage {
  entries: Entry[];
  size: number;
  head_hash: string;
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
  // The first page read tells the chain's size; `from` then walks back from its end.
  const [from, setFrom] = useState<number | null>(null);
  const page = useLoad(async () => {
    const size = from === null ? (await api<AuditPage>('/v1/audit?limit=1')).size : 0;
    const start = from ?? Math.max(1, size - kPage + 1);
    return { start, ...(await api<AuditPage>(`/v1/audit?from_seq=${start}&limit=${kPage}`)) };
  }, [from]);
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
      <Show loaded={page}>
        {(p) => (
          <>
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
            <DataTable
              loaded={loadedValue([...p.entries].reverse())}
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
              ]}
            />
          </>
        )}
      </Show>
    </section>
  );
}
