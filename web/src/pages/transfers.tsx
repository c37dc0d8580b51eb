// Transfers: every request the user may see (GET /v1/transfers), with the two-person rule spelled
// out (who approved, what is still missing: two different people holding approver or dpo in the
// source region, at least one dpo, never the requester), approve/reject for approvers, a request
// form for operators (a refusal shows the policy's reason as the API gives it), and the export of
// an approved transfer, which the server signs and verifies before it answers.
import { useState } from 'preact/hooks';

import { api, ApiError, hasRole, Session } from '../api';
import { DataTable, Problem, useAction, useLoad, valueOf } from '../components';
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

interface Exported {
  bundle: string;
  manifest: { records: number; vehicles: number; suppressed: number; files: string[] };
}

// Export an approved transfer: the signed bundle is written in the source region and verified.
function Export({ tr, session, changed }: { tr: Transfer; session: Session; changed: () => void }) {
  const action = useAction(() => api<Exported>(`/v1/transfers/${tr.id}/export`, 'POST'), changed);
  if (tr.state !== 'approved' && !action.result) return null;
  if (!hasRole(session, 'operator', 'dpo', 'admin')) return null;
  return (
    <div class="actions">
      {action.result ? (
        <span data-testid="exported" role="status">
          {t('transfers.exported', {
            bundle: action.result.bundle,
            records: action.result.manifest.records,
            vehicles: action.result.manifest.vehicles,
          })}
        </span>
      ) : (
        <button type="button" disabled={action.busy} onClick={() => action.run()}>
          {t('transfers.export')}
        </button>
      )}
      <Problem error={action.error} />
    </div>
  );
}

// The request form, for operators and admins.
function RequestForm({ session, requested }: { session: Session; requested: () => void }) {
  const regions = session.regions.filter((r) => r !== '*');
  const [form, setForm] = useState({
    source_region: regions[0] ?? '', dest_region: '', data_class: 'desensitised', fields: 'speed',
    artifact: '', purpose: '', legal_basis: '', basis_type: 'standard_contract', assessment_ref: '', days: '7',
  });
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: valueOf(e) });
  const action = useAction(() => {
    const desensitised = form.data_class === 'desensitised';
    return api('/v1/transfers', 'POST', {
      source_region: form.source_region.trim(),
      dest_region: form.dest_region.trim(),
      data_class: form.data_class,
      ...(desensitised
        ? { fields: form.fields.split(',').map((f) => f.trim()).filter((f) => f !== ''), basis_type: form.basis_type }
        : { artifact: form.artifact.trim() }),
      purpose: form.purpose.trim(),
      legal_basis: form.legal_basis.trim(),
      assessment_ref: form.assessment_ref.trim(),
      expires_at_ms: Date.now() + Number(form.days) * 86_400_000,
    });
  }, requested);
  const input = (k: keyof typeof form, label: string, attrs: Record<string, unknown> = {}) => (
    <label>
      {label} <input name={`request-${k}`} value={form[k]} onInput={set(k)} {...attrs} />
    </label>
  );
  return (
    <details class="request">
      <summary>{t('transfers.request')}</summary>
      <form class="search" onSubmit={action.submit()}>
        {input('source_region', t('transfers.source'), { required: true, size: 6 })}
        {input('dest_region', t('transfers.dest'), { required: true, size: 6 })}
        <label>
          {t('transfers.class')}{' '}
          <select name="request-data_class" value={form.data_class} onChange={set('data_class')}>
            <option value="desensitised">desensitised</option>
            <option value="model.weights">model.weights</option>
          </select>
        </label>
        {form.data_class === 'desensitised'
          ? input('fields', t('transfers.fields'))
          : input('artifact', t('transfers.artifact'), { required: true })}
        {form.data_class === 'desensitised' && (
          <label>
            {t('transfers.basis_type')}{' '}
            <select name="request-basis_type" value={form.basis_type} onChange={set('basis_type')}>
              {['none', 'standard_contract', 'certification', 'security_assessment'].map((b) => (
                <option value={b}>{b}</option>
              ))}
            </select>
          </label>
        )}
        {input('purpose', t('transfers.purpose'), { required: true })}
        {input('legal_basis', t('transfers.legal_basis'), { required: true })}
        {input('assessment_ref', t('transfers.assessment_ref'), { required: true })}
        {input('days', t('transfers.expires_days'), { type: 'number', min: 1, max: 365, size: 4 })}
        <button type="submit" disabled={action.busy}>
          {t('transfers.request_submit')}
        </button>
      </form>
      <Problem error={action.error} />
    </details>
  );
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
      {hasRole(session, 'operator', 'admin') && <RequestForm session={session} requested={list.reload} />}
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
          {
            header: t('transfers.decide'),
            cell: (tr) => (
              <>
                <Decide tr={tr} session={session} changed={list.reload} />
                <Export tr={tr} session={session} changed={list.reload} />
              </>
            ),
          },
        ]}
      />
    </section>
  );
}
