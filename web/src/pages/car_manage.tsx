// What an operator changes on a car: its market and so its home region, with a reason (POST
// /v1/vehicles/{vin}/rehome); its bearer token, minted and shown once or revoked (POST/DELETE
// /v1/vehicles/{vin}/token); and its client certificate, signed from the request the car made
// with a key it keeps (POST /v1/vehicles/{vin}/certificates) or revoked by serial (DELETE
// /v1/vehicles/{vin}/certificates/{serial}). Every change is audited by the API.
import { useState } from 'preact/hooks';

import { api } from '../api';
import { Problem, useAction, valueOf } from '../components';
import { time } from '../format';
import { t } from '../i18n';
import type { Vehicle } from './car';

interface Rehomed {
  from_market: string;
  from_region: string;
  vehicle: Vehicle;
  data_stays_in: string | null;
}
interface Token {
  token: string;
}
interface Certificate {
  serial: string;
  subject: string;
  expires_ms: number;
  certificate: string;
}

const path = (vin: string, rest: string) => `/v1/vehicles/${encodeURIComponent(vin)}/${rest}`;

function Rehome({ vehicle, changed }: { vehicle: Vehicle; changed: () => void }) {
  const [market, setMarket] = useState('');
  const [reason, setReason] = useState('');
  const rehome = useAction(
    () => api<Rehomed>(path(vehicle.vin, 'rehome'), 'POST', { market: market.trim(), reason: reason.trim() }),
    changed,
  );
  const r = rehome.result;
  return (
    <section aria-labelledby="rehome-title">
      <h4 id="rehome-title">{t('car.rehome')}</h4>
      <form class="search" onSubmit={rehome.submit()}>
        <label>
          {t('car.new_market')}{' '}
          <input value={market} required maxLength={2} size={4} onInput={(e) => setMarket(valueOf(e))} name="rehome-market" />
        </label>
        <label>
          {t('car.reason')} <input value={reason} required maxLength={200} onInput={(e) => setReason(valueOf(e))} name="rehome-reason" />
        </label>
        <button type="submit" disabled={rehome.busy}>
          {t('car.rehome_submit')}
        </button>
      </form>
      {r && (
        <p role="status" data-testid="rehomed">
          {t('car.rehomed', { from: `${r.from_market} (${r.from_region})`, to: `${r.vehicle.market} (${r.vehicle.region})` })}
          {r.data_stays_in && ` ${t('car.data_stays', { region: r.data_stays_in })}`}
        </p>
      )}
      <Problem error={rehome.error} />
    </section>
  );
}

function VehicleToken({ vin }: { vin: string }) {
  const mint = useAction(() => api<Token>(path(vin, 'token'), 'POST'));
  const revoke = useAction(() => api<void>(path(vin, 'token'), 'DELETE').then(() => true));
  return (
    <section aria-labelledby="token-title">
      <h4 id="token-title">{t('car.token')}</h4>
      <p class="muted">{t('car.token_about')}</p>
      <div class="actions">
        <button type="button" disabled={mint.busy} onClick={() => mint.run()}>
          {t('car.token_mint')}
        </button>
        <button type="button" class="secondary" disabled={revoke.busy} onClick={() => revoke.run()}>
          {t('car.token_revoke')}
        </button>
      </div>
      {mint.result && !revoke.result && (
        <p role="status">
          {t('car.token_once')} <code data-testid="vehicle-token" class="secret">{mint.result.token}</code>
        </p>
      )}
      {revoke.result && (
        <p role="status" data-testid="token-revoked">
          {t('car.token_revoked')}
        </p>
      )}
      <Problem error={mint.error ?? revoke.error} />
    </section>
  );
}

function CertificateRequest({ vin }: { vin: string }) {
  const [csr, setCsr] = useState('');
  const [days, setDays] = useState('90');
  const sign = useAction(() => api<Certificate>(path(vin, 'certificates'), 'POST', { csr, days: Number(days) }));
  const readFile = (e: Event) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file) file.text().then(setCsr);
  };
  const c = sign.result;
  return (
    <section aria-labelledby="cert-title">
      <h4 id="cert-title">{t('car.cert')}</h4>
      <p class="muted">{t('car.cert_about', { vin })}</p>
      <form class="stack" onSubmit={sign.submit()}>
        <label>
          {t('car.cert_file')} <input type="file" accept=".csr,.pem,.req,text/plain" onChange={readFile} name="csr-file" />
        </label>
        <label>
          {t('car.cert_request')}
          <textarea value={csr} required rows={6} spellcheck={false} onInput={(e) => setCsr(valueOf(e))} name="csr" />
        </label>
        <label>
          {t('car.cert_days')} <input type="number" min={1} max={3650} value={days} onInput={(e) => setDays(valueOf(e))} name="days" />
        </label>
        <div>
          <button type="submit" disabled={sign.busy || !csr.trim()}>
            {t('car.cert_sign')}
          </button>
        </div>
      </form>
      {c && (
        <div role="status" data-testid="certificate">
          <dl class="figures">
            <dt>{t('car.cert_serial')}</dt>
            <dd data-testid="certificate-serial">{c.serial}</dd>
            <dt>{t('car.cert_subject')}</dt>
            <dd>{c.subject}</dd>
            <dt>{t('car.cert_expires')}</dt>
            <dd>{time(c.expires_ms)}</dd>
          </dl>
          <label>
            {t('car.cert_pem')}
            <textarea readOnly rows={6} value={c.certificate} spellcheck={false} />
          </label>
        </div>
      )}
      <Problem error={sign.error} />
    </section>
  );
}

function RevokeCertificate({ vin }: { vin: string }) {
  const [serial, setSerial] = useState('');
  const revoke = useAction((s: string) => api<void>(path(vin, `certificates/${encodeURIComponent(s)}`), 'DELETE').then(() => s));
  return (
    <>
      <form class="search" onSubmit={revoke.submit(serial.trim())}>
        <label>
          {t('car.cert_serial')} <input value={serial} required pattern="[0-9A-Fa-f:]+" onInput={(e) => setSerial(valueOf(e))} name="serial" />
        </label>
        <button type="submit" disabled={revoke.busy}>
          {t('car.cert_revoke')}
        </button>
      </form>
      {revoke.result && (
        <p role="status" data-testid="certificate-revoked">
          {t('car.cert_revoked', { serial: revoke.result })}
        </p>
      )}
      <Problem error={revoke.error} />
    </>
  );
}

export function Manage({ vehicle, changed }: { vehicle: Vehicle; changed: () => void }) {
  return (
    <section aria-labelledby="manage-title" class="manage">
      <h3 id="manage-title">{t('car.manage')}</h3>
      <Rehome vehicle={vehicle} changed={changed} />
      <VehicleToken vin={vehicle.vin} />
      <CertificateRequest vin={vehicle.vin} />
      <RevokeCertificate vin={vehicle.vin} />
    </section>
  );
}
