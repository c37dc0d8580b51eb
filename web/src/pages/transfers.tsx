// Transfers: every request the user may see (GET /v1/transfers), with the two-person rule spelled
// out (who approved, what is still missing: two different people holding approver or dpo in the
// source region, at least one dpo, never the requester) and approve/reject for approvers.
import { useState } from 'preact/hooks';

import { api, ApiError, hasRole, Session } from '../api';
import { Problem, Scroll, Show, useLoad } from '../components';
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

function Row({ tr, session, changed }: { tr: Transfer; session: Session; changed: () => void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<Error>();
  const mayDecide = tr.state === 'requested' && hasRole(session, 'approver', 'dpo');
  const act = (path: string, body?: unknown) =>
    api(`/v1/transfers/${tr.id}/${path}`, 'POST', body).then(changed, (e: ApiError) => setError(e));

  return (
    <tr data-transfer={tr.id}>
      <td>
        <code>{tr.id}</code>
      </td>
      <td class={`state-${tr.state}`}>{tr.state}</td>
      <td>
        {tr.request.source_region} → {tr.request.dest_region}
      </td>
      <td>{tr.request.data_class}</td>
      <td>{tr.request.purpose}</td>
      <td>{tr.requester}</td>
      <td data-testid="approvals">
        {tr.approvals.length === 0 ? '—' : tr.approvals.map((a) => `${a.approver} (${a.role}, ${time(a.time_ms)})`).join('; ')}
        {tr.rejected_by && ` ${t('transfers.rejected_by', { who: tr.rejected_by })}: ${tr.reject_reason}`}
      </td>
      <td data-testid="missing">{missing(tr)}</td>
      <td>
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
      </td>
    </tr>
  );
}

export function TransfersPage({ session }: { session: Session }) {
  const list = useLoad(() => api<{ transfers: Transfer[] }>('/v1/transfers'), []);
  return (
    <section aria-labelledby="transfers-title">
      <h2 id="transfers-title">{t('nav.transfers')}</h2>
      <p class="muted">{t('transfers.rule')}</p>
      <Show loaded={list}>
        {({ transfers }) =>
          transfers.length === 0 ? (
            <p>{t('transfers.none')}</p>
          ) : (
            <Scroll label={t('nav.transfers')}>
              <table data-testid="transfers">
                <caption>{t('nav.transfers')}</caption>
                <thead>
                  <tr>
                    <th scope="col">ID</th>
                    <th scope="col">{t('transfers.state')}</th>
                    <th scope="col">{t('transfers.route')}</th>
                    <th scope="col">{t('transfers.class')}</th>
                    <th scope="col">{t('transfers.purpose')}</th>
                    <th scope="col">{t('transfers.requester')}</th>
                    <th scope="col">{t('transfers.approvals')}</th>
                    <th scope="col">{t('transfers.missing')}</th>
                    <th scope="col">{t('transfers.decide')}</th>
                  </tr>
                </thead>
                <tbody>
                  {[...transfers].reverse().map((tr) => (
                    <Row tr={tr} session={session} changed={list.reload} />
                  ))}
                </tbody>
              </table>
            </Scroll>
          )
        }
      </Show>
    </section>
  );
}
