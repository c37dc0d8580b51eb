// Transfers: every request the user may see (GET /v1/transfers), with the two-person rule spelled
// out (who approved, what is still missing: two different people holding approver or dpo in the
// source region, at least one dpo, never the requester) and approve/reject for approvers.
import { useState } from 'preact/hooks';

import { api, ApiError, hasRole, Session } from '../api';
import { DataTable, Problem, useLoad } from '../components';
import { time } from '../format';
import { t } from '../i18n';

interface Transfer {
  id: string;
  state: string;
  requester: string;
  created_ms: number;
  request: { source_region: string; dest_region: string; data_class: string; purpose: string; fields: string[] };
  approvals: { approver: string; role: string; time_ms: number }[];
  rejected_by: string;
  reject_reason: string;
}

function missing(tr: Transfer): string {
  if (tr.state !== 'requested') return '';
  const needs: string[] = [];
  const left = 2 - tr.approvals.length;
  if (left > 0) needs.push(t('transfers.needs_people', { n: left }));
  if (!tr.approvals.some((a) => a.role === 'dpo' || a.role === 'policy')) needs.push(t('transfers.needs_dpo'));
  return needs.join('; ');
}

// Approve and reject, for approvers and DPOs of a request still open.
function Decide({ tr, session, changed }: { tr: Transfer; session: Session; changed: () => void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<Error>();
  const mayDecide = tr.state === 'requested' && hasRole(session, 'approver', 'dpo');
  const act = (path: string, body?: unknown) =>
    api(`/v1/transfers/${tr.id}/${path}`, 'POST', body).then(changed, (e: ApiError) => setError(e));
  return (
    <>
      {mayDecide && (
        <div class="actions">
          <button type="button" onClick={() => act('approve')}>
            {t('transfers.approve')}
          </button>
          <label>
            <span class="visually-hidden">{t('transfers.reason')}</span>
            <input
              placeholder={t('transfers.reason')}
              value={reason}
              onInput={(e) => setReason((e.target as HTMLInputElement).value)}
            />
          </label>
          <button type="button" disabled={!reason.trim()} onClick={() => act('reject', { reason: reason.trim() })}>
            {t('transfers.reject')}
          </button>
        </div>
      )}
      <Problem error={error} />
    </>
  );
}

export function TransfersPage({ session }: { session: Session }) {
  const list = useLoad(() => api<{ transfers: Transfer[] }>('/v1/transfers'), []);
  return (
    <section aria-labelledby="transfers-title">
      <h2 id="transfers-title">{t('nav.transfers')}</h2>
      <p class="muted">{t('transfers.rule')}</p>
      <DataTable
        loaded={list}
        rows={({ transfers }) => [...transfers].reverse()}
        caption={t('nav.transfers')}
        testId="transfers"
        empty={t('transfers.none')}
        rowAttrs={(tr) => ({ 'data-transfer': tr.id })}
        columns={[
          { header: 'ID', cell: (tr) => <code>{tr.id}</code> },
          { header: t('transfers.state'), cell: (tr) => <span class={`state-${tr.state}`}>{tr.state}</span> },
          { header: t('transfers.route'), cell: (tr) => `${tr.request.source_region} → ${tr.request.dest_region}` },
          { header: t('transfers.class'), cell: (tr) => tr.request.data_class },
          { header: t('transfers.purpose'), cell: (tr) => tr.request.purpose },
          { header: t('transfers.requester'), cell: (tr) => tr.requester },
          {
            header: t('transfers.approvals'),
            cell: (tr) => (
              <span data-testid="approvals">
                {tr.approvals.length === 0 ? '—' : tr.approvals.map((a) => `${a.approver} (${a.role}, ${time(a.time_ms)})`).join('; ')}
                {tr.rejected_by && ` ${t('transfers.rejected_by', { who: tr.rejected_by })}: ${tr.reject_reason}`}
              </span>
            ),
          },
          { header: t('transfers.missing'), cell: (tr) => <span data-testid="missing">{missing(tr)}</span> },
          { header: t('transfers.decide'), cell: (tr) => <Decide tr={tr} session={session} changed={list.reload} /> },
        ]}
      />
    </section>
  );
}
